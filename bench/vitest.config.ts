import { defineConfig } from 'vitest/config';

// The bench's unit tests (pure functions: statistics, floors, agreement, the report). The root
// configuration covers packages/ and tools/ only; run these with
// `npx vitest run --config bench/vitest.config.ts` from the repository root.
export default defineConfig({
  root: import.meta.dirname,
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
  },
});
