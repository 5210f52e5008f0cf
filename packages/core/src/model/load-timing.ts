/**
 * Timing of the phases of a model load (reading the config, opening the
 * weights, building each graph, opening each session), reported one by one
 * to `LoadOptions.onTiming` so that callers (the CLI's `--verbose`) can print
 * where the time of a cold start goes.
 */
import type { SessionCacheStatus } from '../runtime.js';

/** One finished phase of a load. */
export interface LoadTiming {
  /** `config`, `weights`, `build encoder`, `build decoder`, `session encoder`, `session decoder`, ... */
  phase: string;
  /** Wall-clock milliseconds the phase took. */
  ms: number;
  /** Sessions only: what the session cache did (`off` when no cache was used). */
  cache?: SessionCacheStatus;
}

export type TimingListener = (timing: LoadTiming) => void;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Runs `fn` and reports it as `phase` (when a listener is given); the result is `fn`'s. */
export async function timed<T>(onTiming: TimingListener | undefined, phase: string, fn: () => Promise<T> | T): Promise<T> {
  const start = now();
  const result = await fn();
  onTiming?.({ phase, ms: now() - start });
  return result;
}

/** The same for a synchronous `fn`. */
export function timedSync<T>(onTiming: TimingListener | undefined, phase: string, fn: () => T): T {
  const start = now();
  const result = fn();
  onTiming?.({ phase, ms: now() - start });
  return result;
}

/** Starts a session phase: call the result with the cache status once the session is open. */
export function sessionTimer(onTiming: TimingListener | undefined, phase: string): { status(s: SessionCacheStatus): void; done(): void } {
  const start = now();
  let cache: SessionCacheStatus = 'off';
  return {
    status: (s) => {
      cache = s;
    },
    done: () => onTiming?.({ phase, ms: now() - start, cache }),
  };
}
