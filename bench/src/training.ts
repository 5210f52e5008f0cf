/**
 * The training section of `pnpm bench` (issue 14): one full AdamW update
 * (forward with labels, backward, gradient clipping at 1.0, the update) on a
 * batch of the bench images, ved (`runners/ved-train.ts`: the training graph
 * on onnxruntime-node, the optimizer in TypeScript) against PyTorch eager
 * (`torch_train_runner.py`), fp32, same threads, dropout off on both sides,
 * each in its own child process so that each peak RSS is its own. The labels
 * are PyTorch's greedy ids of the bench images, so both compute the same loss
 * on the same weights (the first update's losses are compared). The floor is
 * the update's FLOPs (3 × the forward's: the backward costs about twice the
 * forward) at the machine's matmul rate. Targets: ved's update ≤ 1.0× PyTorch's,
 * peak RSS ≤ PyTorch's.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from './report.js';
import type { TrainRequest, TrainResult } from './runners/train-protocol.js';
import { summarize } from './stats.js';
import { decoderStepFlops, encoderFlops, type ModelShape, type Rates } from './work.js';

export interface TrainingReport {
  model: string;
  shape: ModelShape;
  batchSize: number;
  tokens: number;
  runs: number;
  loadAverage: number;
  /** ved ran with onnxruntime's memory pattern on (`--train-mem-pattern`). */
  memPattern?: boolean;
  /** ved ran with the arena off and glibc's mmap threshold fixed (`--train-low-memory`). */
  lowMemory?: boolean;
  /** ved ran under this preloaded tcmalloc with the arena off, as `ved train` does where it is installed. */
  tcmalloc?: string;
  /** The 1-minute load average when each runtime's child started (the machine may be shared). */
  loadAtStart?: Partial<Record<'ved' | 'pytorch', number>>;
  results: TrainResult[];
}

/** FLOPs of one training update: 3 × the forward over `images` images with `tokens` teacher-forced tokens each. */
export function trainStepFlops(m: ModelShape, images: number, tokens: number): number {
  const enc = encoderFlops(m);
  let decoder = 0;
  for (let t = 1; t <= tokens; t++) decoder += decoderStepFlops(m, t);
  return 3 * images * (enc.encoder + enc.crossKv + decoder);
}

function child(command: string, args: string[], resultFile: string, label: string, env: Record<string, string> = {}): Promise<TrainResult | { error: string }> {
  return new Promise((done) => {
    const p = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1', ...env } });
    p.on('exit', (code, signal) => {
      if (existsSync(resultFile)) done(JSON.parse(readFileSync(resultFile, 'utf8')) as TrainResult);
      else done({ error: `${label} exited (${code ?? signal}) without a result` });
    });
    p.on('error', (e) => done({ error: e.message }));
  });
}

export async function benchTraining(options: {
  benchDir: string;
  model: string;
  modelDir: string;
  shape: ModelShape;
  pixelValuesFile: string;
  pixelShape: [number, number, number, number];
  /** PyTorch's greedy sequences of the bench images (start token first): the labels are these without the start token. */
  sequences: number[][];
  batchSize: number;
  threads: number;
  warmup: number;
  runs: number;
  python: string | undefined;
  /** ved's child with onnxruntime's memory pattern on (ved's training sessions turn it off by default). */
  memPattern?: boolean;
  /** ved's child with onnxruntime's CPU arena off and glibc's mmap threshold at 128 KiB (`ved train --no-memory-arena`). */
  lowMemory?: boolean;
  /** ved's child under this tcmalloc with the arena off (`ved train`'s default where tcmalloc is installed). */
  tcmalloc?: string;
  work: string;
  say: (message: string) => void;
}): Promise<TrainingReport> {
  const labels = Array.from({ length: options.batchSize }, (_, i) => options.sequences[i % options.sequences.length]!.slice(1));
  const report: TrainingReport = {
    model: options.model,
    shape: options.shape,
    batchSize: options.batchSize,
    tokens: labels[0]!.length,
    runs: options.runs,
    loadAverage: loadavg()[0]!,
    results: [],
    loadAtStart: {},
    ...(options.memPattern ? { memPattern: true } : {}),
    ...(options.lowMemory ? { lowMemory: true } : {}),
    ...(options.tcmalloc !== undefined ? { tcmalloc: options.tcmalloc } : {}),
  };
  const runtimes: Array<'ved' | 'pytorch'> = options.python === undefined ? ['ved'] : ['ved', 'pytorch'];
  for (const runtime of runtimes) {
    const request: TrainRequest = {
      runtime,
      model: options.model,
      modelDir: options.modelDir,
      threads: options.threads,
      warmup: options.warmup,
      runs: options.runs,
      pixelValuesFile: options.pixelValuesFile,
      pixelShape: options.pixelShape,
      batchSize: options.batchSize,
      labels,
      learningRate: 5e-5,
      maxGradNorm: 1,
      ...(options.memPattern && runtime === 'ved' ? { memPattern: true } : {}),
      ...((options.lowMemory || options.tcmalloc !== undefined) && runtime === 'ved' ? { noArena: true } : {}),
      resultFile: join(options.work, `train-${options.model}-${runtime}.json`),
    };
    const requestFile = join(options.work, `train-${options.model}-${runtime}-request.json`);
    writeFileSync(requestFile, JSON.stringify(request));
    report.loadAtStart![runtime] = loadavg()[0]!;
    options.say(`\n${options.model}: ${runtime} training updates, batch ${options.batchSize} (load average ${loadavg()[0]!.toFixed(2)})`);
    const [command, args] =
      runtime === 'ved'
        ? [process.execPath, ['--expose-gc', join(options.benchDir, 'dist', 'runners', 'ved-train.js'), requestFile]]
        : [options.python!, [join(options.benchDir, 'torch_train_runner.py'), requestFile]];
    // glibc reads its mmap threshold when the process starts: freed intermediates then go back to the system.
    // As `ved train`: under tcmalloc where it is installed (preloaded when the process starts).
    const env: Record<string, string> =
      runtime !== 'ved' ? {} : options.lowMemory ? { MALLOC_MMAP_THRESHOLD_: '131072' } : options.tcmalloc !== undefined ? { LD_PRELOAD: options.tcmalloc } : {};
    const r = await child(command, args, request.resultFile, `${runtime} training`, env);
    report.results.push('runtime' in r ? r : { runtime, model: options.model, version: '', timesMs: [], losses: [], error: r.error });
  }
  return report;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

/** The markdown of the training section. */
export function renderTraining(reports: readonly TrainingReport[], rates: Rates, threads: number): string {
  const lines = ['## Training: one AdamW update', ''];
  lines.push(
    'Forward with labels, backward, gradient clipping at 1.0 and the AdamW update (lr 5e-5), fp32, dropout off on both sides, ' +
      'all weights trained; labels: PyTorch\'s greedy ids of the bench images. Floor: the update\'s FLOPs (3 × the forward) at the matmul rate. ' +
      'Targets (issue 14): ved ≤ 1.0× PyTorch\'s time, peak RSS ≤ PyTorch\'s.',
    '',
  );
  for (const r of reports) {
    const ved = r.results.find((x) => x.runtime === 'ved');
    const pt = r.results.find((x) => x.runtime === 'pytorch');
    const flops = trainStepFlops(r.shape, r.batchSize, r.tokens);
    const floorMs = flops / (rates.gflops * 1e6);
    const med = (x: TrainResult | undefined) => (x && x.timesMs.length > 0 ? summarize(x.timesMs)!.median : undefined);
    const cell = (x: TrainResult | undefined) => {
      const s = x && x.timesMs.length > 0 ? summarize(x.timesMs)! : undefined;
      if (s === undefined) return x?.error ? `failed: ${x.error}` : 'n/a';
      return s.n === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
    };
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}×` : '—');
    const ips = (x: TrainResult | undefined) => (med(x) === undefined ? 'n/a' : (r.batchSize / (med(x)! / 1000)).toFixed(2));
    const rss = (x: TrainResult | undefined) => (x?.peakRssMb === undefined ? 'n/a' : x.peakRssMb.toFixed(0));
    lines.push(`### ${r.model}: batch ${r.batchSize} × ${r.tokens} tokens, ${threads} threads (load average ${r.loadAverage.toFixed(2)})`, '');
    if (r.memPattern) lines.push("ved ran with onnxruntime's memory pattern on (`--train-mem-pattern`; ved's default is off).", '');
    if (r.tcmalloc !== undefined) lines.push(`ved ran under tcmalloc (\`LD_PRELOAD=${r.tcmalloc}\`) with onnxruntime's CPU memory arena off, as \`ved train\` does where tcmalloc is installed (\`--train-allocator system\` runs it with glibc and the arena).`, '');
    else if (!r.lowMemory) lines.push("ved ran with glibc's allocator and onnxruntime's CPU memory arena (`ved train --allocator system`).", '');
    if (r.lowMemory) lines.push("ved ran with onnxruntime's CPU memory arena off and `MALLOC_MMAP_THRESHOLD_=131072` (`--train-low-memory`, as `ved train --no-memory-arena`).", '');
    lines.push('| | ved fp32 | PyTorch fp32 | ved / PyTorch | floor |', '|---|---|---|---|---|');
    lines.push(`| update (ms) | ${cell(ved)} | ${cell(pt)} | ${ratio(med(ved), med(pt))} | ${fmt(floorMs)} (${(flops / 1e9).toFixed(0)} GFLOP) |`);
    lines.push(`| images/s | ${ips(ved)} | ${ips(pt)} | | ${(r.batchSize / (floorMs / 1000)).toFixed(2)} |`);
    lines.push(`| × floor | ${med(ved) === undefined ? 'n/a' : (med(ved)! / floorMs).toFixed(2)} | ${med(pt) === undefined ? 'n/a' : (med(pt)! / floorMs).toFixed(2)} | | |`);
    lines.push(`| peak RSS (MiB) | ${rss(ved)} | ${rss(pt)} | ${ratio(ved?.peakRssMb, pt?.peakRssMb)} | |`);
    const l0 = (x: TrainResult | undefined) => (x?.losses[0] === undefined ? 'n/a' : x.losses[0].toFixed(6));
    lines.push(`| first loss | ${l0(ved)} | ${l0(pt)} | ${ved?.losses[0] !== undefined && pt?.losses[0] !== undefined ? `|diff| ${Math.abs(ved.losses[0] - pt.losses[0]).toExponential(1)}` : ''} | |`);
    const met = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : 'not met');
    const speed = med(ved) !== undefined && med(pt) !== undefined ? med(ved)! <= med(pt)! : undefined;
    const memory = ved?.peakRssMb !== undefined && pt?.peakRssMb !== undefined ? ved.peakRssMb <= pt.peakRssMb : undefined;
    const after = (x: TrainResult | undefined) => x?.rssAfterUpdateMb?.map((v) => v.toFixed(0)).join(', ');
    if (after(ved) !== undefined || after(pt) !== undefined) {
      lines.push('', `RSS after each update, warm-up included (MiB): ved ${after(ved) ?? 'n/a'}; PyTorch ${after(pt) ?? 'n/a'}.`);
    }
    const loads = Object.entries(r.loadAtStart ?? {}).map(([k, v]) => `${k === 'ved' ? 'ved' : 'PyTorch'} ${v.toFixed(2)}`);
    if (loads.length > 0) lines.push('', `1-minute load average when each child started: ${loads.join(', ')}.`);
    lines.push('', `Targets: update ≤ 1.0× PyTorch: ${met(speed)}; peak RSS ≤ PyTorch: ${met(memory)}.`, '');
  }
  return lines.join('\n');
}

/** The heading of a training-only report (`--training-only`): the machine, its load and the matmul rate. */
export function renderTrainingHeader(report: BenchReport): string {
  const m = report.machine;
  return [
    `# ved benchmark, training only, ${report.date}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GB, ${m.platform}, Node ${m.node}. ` +
      `Load average ${m.loadStart.toFixed(2)} at the start, ${m.loadEnd.toFixed(2)} at the end${m.loadStart > m.cores ? ' (the machine was busy: times are noisy; compare the ratios of one run)' : ''}.`,
    '',
    `Settings: ${report.settings.threads} intra-op threads (1 inter-op) in both runtimes; ${report.settings.warmup} warm-up update(s), then the measured ones. ` +
      `fp32 MatMul rate of this machine (onnxruntime-node): ${report.rates.gflops.toFixed(1)} GFLOP/s.`,
    '',
  ].join('\n');
}
