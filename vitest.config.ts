import { defineConfig } from 'vitest/config';

// One configuration for every package: tests import workspace packages through
// their `source` export condition, so they run on the TypeScript sources
// without a build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/**/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'tools/**/*.test.ts', 'bench/src/**/*.test.ts', 'apps/docs/src/build/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The built-in image-processor classes live in the encoder packages; backends register them on import.
    setupFiles: ['tools/vitest/builtin-image-processors.ts'],
  },
});
