/**
 * What every Node runner child shares: reading its request, the pixel values,
 * timing a task (warm-up, then measured runs), memory readings, writing the
 * result. A runner is `node dist/runners/<name>.js <request.json>`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { RunRequest, RunResult, TaskName, TaskResult } from '../protocol.js';

export function readRequest(): RunRequest {
  const file = process.argv[2];
  if (file === undefined) throw new Error(`usage: node ${process.argv[1]} <request.json>`);
  return JSON.parse(readFileSync(file, 'utf8')) as RunRequest;
}

export interface Pixels {
  /** All images: [n, c, h, w]. */
  all: Float32Array;
  dims: [number, number, number, number];
  /** The first `count` images (repeating them when more are asked than stored). */
  take(count: number): { data: Float32Array; dims: [number, number, number, number] };
}

export function readPixels(req: RunRequest): Pixels {
  const buf = readFileSync(req.pixelValuesFile);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const [n, c, h, w] = req.pixelShape;
  if (all.length !== n * c * h * w) {
    throw new Error(`${req.pixelValuesFile} holds ${all.length} floats, expected ${n}×${c}×${h}×${w} = ${n * c * h * w}`);
  }
  const per = c * h * w;
  return {
    all,
    dims: [n, c, h, w],
    take(count) {
      const data = new Float32Array(count * per);
      for (let i = 0; i < count; i++) data.set(all.subarray((i % n) * per, ((i % n) + 1) * per), i * per);
      return { data, dims: [count, c, h, w] };
    },
  };
}

/** Resident set size now, in MiB (Linux: /proc/self/status VmRSS). */
export function rssMb(): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.memoryUsage().rss / 2 ** 20;
}

/** Peak resident set size of this process, in MiB. */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}

export function log(req: RunRequest, message: string): void {
  process.stderr.write(`  [${req.runtime} ${req.dtype} ${req.model}] ${message}\n`);
}

/**
 * Runs `fn` `warmup` times unmeasured, then `runs` times measured. Returns the
 * times and whatever the last run returned (its generated ids). An exception
 * (e.g. an unsupported option) becomes a skipped task with its message.
 */
export async function timeTask(
  req: RunRequest,
  name: TaskName,
  runs: number,
  fn: () => Promise<number[][] | undefined>,
): Promise<TaskResult> {
  const timesMs: number[] = [];
  let sequences: number[][] | undefined;
  try {
    for (let i = 0; i < req.warmup + runs; i++) {
      const t0 = performance.now();
      const out = await fn();
      const dt = performance.now() - t0;
      if (i >= req.warmup) timesMs.push(dt);
      sequences = out;
    }
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    log(req, `${name}: ${message}`);
    return { timesMs, skipped: message.split('\n')[0]! };
  }
  log(req, `${name}: ${timesMs.map((t) => t.toFixed(0)).join(', ')} ms`);
  return sequences === undefined ? { timesMs } : { timesMs, sequences };
}

export function writeResult(req: RunRequest, result: RunResult): void {
  writeFileSync(req.resultFile, JSON.stringify(result));
}

/** Runs a runner's body, turning a crash into a result with `error` (so the parent reports it). */
export async function runChild(body: (req: RunRequest) => Promise<RunResult>): Promise<void> {
  const req = readRequest();
  try {
    writeResult(req, await body(req));
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    log(req, `failed: ${message}`);
    writeResult(req, { runtime: req.runtime, model: req.model, dtype: req.dtype, threads: req.threads, version: '', tasks: {}, error: message.split('\n')[0]! });
  }
}

/** Writes float32 logits to `file` (little-endian, row-major). */
export function writeFloats(file: string, data: Float32Array): void {
  writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

export function readFloats(file: string): Float32Array {
  const buf = readFileSync(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > worst || Number.isNaN(d)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}
