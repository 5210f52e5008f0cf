/**
 * The flags of the commands that load a model for generation (`caption`,
 * `eval`): `--no-cache` (the optimized-session cache, session-cache.ts, is on
 * by default in the CLI) and `--verbose` (one timing line per load phase on
 * stderr), with their conversion to load options.
 */
import type { LoadTiming } from '@ved/core';
import type { FlagTable } from './args.js';

export const CACHE_FLAGS = {
  'no-cache': {
    type: 'boolean',
    group: 'model',
    help: "do not read or write the cache of onnxruntime's optimized graphs ($VED_CACHE_DIR, else $XDG_CACHE_HOME/ved, else ~/.cache/ved)",
  },
  verbose: {
    type: 'boolean',
    group: 'model',
    help: 'print how long each phase took (imports, config, weights, graph builds, sessions and their cache status, generation) on stderr',
  },
} as const satisfies FlagTable;

/** Milliseconds since the process started (Node's `performance.timeOrigin`). */
export const sinceStart = (): number => performance.now();

/** `ved: <what> <ms> ms` on stderr. */
export function timingLine(what: string, ms: number, note?: string): string {
  return `ved: ${what} ${ms.toFixed(0)} ms${note ? ` (${note})` : ''}\n`;
}

export interface CacheLoadOptions {
  sessionCache: boolean;
  onTiming?: (t: LoadTiming) => void;
}

/** `--no-cache` / `--verbose` as load options; `write` receives the timing lines (default: stderr). */
export function cacheLoadOptions(
  values: { 'no-cache'?: boolean | undefined; verbose?: boolean | undefined },
  write: (line: string) => void = (l) => void process.stderr.write(l),
): CacheLoadOptions {
  const out: CacheLoadOptions = { sessionCache: values['no-cache'] !== true };
  if (values.verbose === true) {
    write(timingLine('start-up (process start to the command, imports included)', sinceStart()));
    out.onTiming = (t) => write(timingLine(t.phase, t.ms, t.cache === undefined ? undefined : `cache ${t.cache}`));
  }
  return out;
}
