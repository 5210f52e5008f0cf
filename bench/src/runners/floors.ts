/**
 * The machine's rates on onnxruntime-node, with tiny graphs built by
 * @ved/core's GraphBuilder: a large fp32 MatMul (compute, GFLOP/s) and a
 * matrix-vector product over a ~200 MB fp32 weight (memory streaming, GB/s),
 * at the bench's thread count, from the best of several runs. `node dist/runners/floors.js <request.json>`
 * writes a `FloorsResult`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '@ved/backend-node';

export interface FloorsRequest {
  threads: number;
  /** Square matmul size (default 1024). */
  matmulSize: number;
  /** Weight of the matrix-vector product, MB (default 200). */
  streamMb: number;
  runs: number;
  resultFile: string;
}

export interface FloorsResult {
  threads: number;
  matmul: { size: number; timesMs: number[]; gflops: number };
  stream: { rows: number; cols: number; bytes: number; timesMs: number[]; gbps: number };
}

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** A session computing y = x · W, W [k, n] an initializer (as a model's weight), x [m, k] an input. */
async function matmulSession(m: number, k: number, n: number, threads: number): Promise<ort.InferenceSession> {
  const g = new GraphBuilder('bench_matmul');
  const x = g.input('x', 'float32', [m, k]);
  const w = g.initializer('w', 'float32', [k, n], random(k * n, 7));
  g.output('y', g.op('MatMul', [x, w]), 'float32', [m, n]);
  const built = g.build();
  return ort.InferenceSession.create(built.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    ...(built.externalData.length > 0 ? { externalData: built.externalData } : {}),
  });
}

async function timeRuns(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, runs: number): Promise<number[]> {
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  return times;
}

/** A floor is what the machine can do: the best run, not the typical one. */
function best(times: number[]): number {
  return Math.min(...times);
}

const req = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FloorsRequest;
const size = req.matmulSize;
const mm = await matmulSession(size, size, size, req.threads);
const mmTimes = await timeRuns(mm, { x: new ort.Tensor('float32', random(size * size, 3), [size, size]) }, req.runs);
await mm.release();
const gflops = (2 * size ** 3) / (best(mmTimes) * 1e6);

// Square weight of ~streamMb megabytes: every byte is read once per product.
const side = Math.round(Math.sqrt((req.streamMb * 1e6) / 4) / 64) * 64;
const mv = await matmulSession(1, side, side, req.threads);
const mvTimes = await timeRuns(mv, { x: new ort.Tensor('float32', random(side, 5), [1, side]) }, req.runs);
await mv.release();
const bytes = side * side * 4;
const gbps = bytes / (best(mvTimes) * 1e6);

const result: FloorsResult = {
  threads: req.threads,
  matmul: { size, timesMs: mmTimes, gflops },
  stream: { rows: side, cols: side, bytes, timesMs: mvTimes, gbps },
};
process.stderr.write(`  [floors] matmul ${size}³: ${gflops.toFixed(1)} GFLOP/s; matrix-vector over ${(bytes / 1e6).toFixed(0)} MB: ${gbps.toFixed(1)} GB/s\n`);
writeFileSync(req.resultFile, JSON.stringify(result));
