/**
 * Progress of long commands on stderr (cli-progress): drawn only when stderr
 * is a terminal and `--quiet` is not given, so pipes, logs and tests see
 * nothing. Commands report counts (`eval`, `caption`) or named phases
 * (`export`, `compose`).
 */
import { SingleBar } from 'cli-progress';

export interface Progress {
  /** Sets the current count and, for phases, the label (kept when not given). */
  update(done: number, label?: string): void;
  /** Removes the bar. */
  stop(): void;
}

export interface ProgressOptions {
  /** `--quiet`. */
  quiet: boolean;
  total: number;
  /** What is counted (`images`, `steps`). */
  unit: string;
  /** Where to draw (default stderr); tests pass a stream with `force`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw even when the stream is not a terminal. */
  force?: boolean;
}

const NONE: Progress = { update() {}, stop() {} };

/** A bar when the stream is a terminal, else a no-op. */
export function progressBar(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || (!options.force && stream.isTTY !== true) || options.total <= 0) return NONE;
  const bar = new SingleBar({
    stream,
    format: `{bar} {value}/{total} ${options.unit}{label} | {duration_formatted} elapsed, ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 20,
    noTTYOutput: options.force === true,
    notTTYSchedule: 1000,
  });
  bar.start(options.total, 0, { label: '' });
  let stopped = false;
  return {
    update(done, label) {
      if (!stopped) bar.update(done, label === undefined ? {} : { label: ` (${label})` });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/** A bar over named phases (`export`, `compose`): `next(name)` moves to the next one. */
export function phaseProgress(options: { quiet: boolean; phases: readonly string[]; stream?: ProgressOptions['stream']; force?: boolean }): {
  next(phase: string): void;
  stop(): void;
} {
  const bar = progressBar({ ...options, total: options.phases.length, unit: 'steps' });
  let done = 0;
  return {
    next(phase) {
      bar.update(done, phase);
      done += 1;
    },
    stop() {
      bar.update(options.phases.length);
      bar.stop();
    },
  };
}
