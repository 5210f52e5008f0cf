import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser suite: Node-side tests that drive Debian's Chromium through
// playwright-core against a local server (see test/browser/browser.test.ts).
// One file at a time: each launches a browser, and the machine is small.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
