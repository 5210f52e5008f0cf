/**
 * @ved/bench: the benchmark's reusable parts (work and floors of a model,
 * statistics, id agreement, the markdown report). The command is `pnpm bench`
 * (src/main.ts); the runners live in src/runners/.
 */
export * from './agreement.js';
export * from './protocol.js';
export * from './report.js';
export * from './stats.js';
export * from './work.js';
