import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The docs site's part of the browser suite (`pnpm test:browser`): the page
// generator (src/build/*.test.ts), checks of the built site (test/site.test.ts)
// and the live demo in Debian's Chromium driven by playwright-core
// (test/demo.test.ts). The last two read apps/docs/dist, building it first when
// it is missing or older than the default model.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
