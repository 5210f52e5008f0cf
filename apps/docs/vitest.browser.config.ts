import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The docs site's part of the browser suite (`pnpm test:browser`): checks of the
// built site (test/site.test.ts) and the live demo in Debian's Chromium driven
// by playwright-core (test/demo.test.ts, test/train.test.ts). They read
// apps/docs/dist, building it first when it is missing or older than the
// default model. The page generator's tests (src/build/*.test.ts) need no
// build or browser: they run in the root (Node) suite.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
