/**
 * `pnpm bench`: makes the models when the cache lacks them, measures the
 * machine's floors, runs every runtime on every model in its own child
 * process (one after the other, never two at once), compares their ids and
 * logits, and prints and writes the markdown report. See bench/README.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseBenchArgs, type BenchOptions } from './args.js';
import type { Dtype, RunRequest, RunResult, RuntimeName } from './protocol.js';
import { renderReport, type BenchReport, type ModelReport } from './report.js';
import type { FloorsRequest, FloorsResult } from './runners/floors.js';
import { maxAbsDiff, readFloats } from './runners/harness.js';
import { modelShape } from './work.js';
import { findTcmalloc } from '@ved/backend-node';
import { benchLoadFormats, renderLoadFormats, type LoadFormatsReport } from './load-formats.js';
import { benchTraining, renderTraining, renderTrainingHeader, type TrainingReport } from './training.js';

const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = resolve(BENCH_DIR, '..');
const CHILD_TIMEOUT_MS = 30 * 60 * 1000;

const DESCRIPTIONS: Record<string, string> = {
  'vit-gpt2': 'ViT-B/16 at 224 + GPT-2 small (124M, vocab 50257), as nlpconnect/vit-gpt2-image-captioning',
  'deit-trocr': 'DeiT-small-sized encoder at 384 + TrOCR-small decoder (vocab 64044), as microsoft/trocr-small-*',
};

interface Manifest {
  name: string;
  parameters: number;
  safetensors_bytes: number;
  inputs: { file: string; shape: [number, number, number, number] };
  torch_greedy: { sequences: number[][]; min_top2_margin: number };
  float_noise?: { max_abs_logit: number; eager_vs_default_attention_max_abs_diff: number };
}

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

function pythonPath(opts: BenchOptions): string | undefined {
  const candidate = opts.python ?? process.env.VED_BENCH_PYTHON ?? join(REPO_ROOT, '.venv-ref', 'bin', 'python');
  return existsSync(candidate) ? candidate : undefined;
}

/** The cache format bench/make_models.py writes (its FORMAT_VERSION): older caches are remade. */
function modelsFormatVersion(): number {
  const m = /^FORMAT_VERSION = (\d+)$/m.exec(readFileSync(join(BENCH_DIR, 'make_models.py'), 'utf8'));
  if (!m) throw new Error('bench/make_models.py has no FORMAT_VERSION line');
  return Number(m[1]);
}

function cachedFormat(cacheDir: string, model: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(cacheDir, model, 'manifest.json'), 'utf8')) as { format_version?: number }).format_version;
  } catch {
    return undefined;
  }
}

/** Makes the models the cache lacks (calling bench/make_models.py), or fails saying how to get them. */
function ensureModels(opts: BenchOptions, cacheDir: string, python: string | undefined): void {
  const version = modelsFormatVersion();
  const found = new Map(opts.models.map((m) => [m, cachedFormat(cacheDir, m)]));
  const stale = opts.models.filter((m) => found.get(m) !== undefined && found.get(m) !== version);
  if (python === undefined && stale.length > 0) {
    say(`Warning: ${stale.join(', ')} in ${cacheDir} were made by an older bench/make_models.py (format ${stale.map((m) => found.get(m)).join(', ')}, now ${version}); using them, as no Python is there to remake them.`);
  }
  const missing = opts.models.filter((m) => opts.rebuildModels || found.get(m) === undefined || (python !== undefined && found.get(m) !== version));
  if (missing.length === 0) return;
  if (python === undefined) {
    throw new Error(
      `The bench models ${missing.join(', ')} are not in ${cacheDir}, and no Python to make them was found ` +
        `(looked for --python, $VED_BENCH_PYTHON, ${join(REPO_ROOT, '.venv-ref', 'bin', 'python')}). ` +
        'Set up the reference virtualenv (tools/reference/setup.sh) or copy a cache made elsewhere.',
    );
  }
  say(`Making ${missing.join(', ')} in ${cacheDir} (random weights of real size, ~1 GB each; a few minutes)…`);
  const args = [join(BENCH_DIR, 'make_models.py'), '--out', cacheDir, '--models', missing.join(','), '--force'];
  const r = spawnSync(python, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/make_models.py failed (exit ${r.status ?? r.signal}); see its output above.`);
}

/** Runs one child (a Node runner or Python), waits for it, returns its result file's content. */
async function runChild<T>(command: string, args: string[], resultFile: string, label: string): Promise<T | { error: string }> {
  const code = await new Promise<number | string>((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('exit', (c, sig) => {
      clearTimeout(timer);
      done(c ?? sig ?? 'unknown');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      done(e.message);
    });
  });
  if (existsSync(resultFile)) return JSON.parse(readFileSync(resultFile, 'utf8')) as T;
  return { error: `${label} exited (${code}) without a result` };
}

async function measureFloors(opts: BenchOptions, work: string, tag: string): Promise<FloorsResult> {
  const req: FloorsRequest = { threads: opts.threads, matmulSize: 1024, streamMb: 200, runs: 15, resultFile: join(work, `floors-${tag}.json`) };
  const requestFile = join(work, `floors-${tag}-request.json`);
  writeFileSync(requestFile, JSON.stringify(req));
  const r = await runChild<FloorsResult>(process.execPath, [join(BENCH_DIR, 'dist', 'runners', 'floors.js'), requestFile], req.resultFile, 'floors');
  if ('error' in r) throw new Error(`measuring the floors failed: ${r.error}`);
  return r;
}

/** The machine's best rates of two measurements (before and after the runs): a busy moment only lowers a rate. */
function bestRates(a: FloorsResult, b: FloorsResult): { gflops: number; gbps: number } {
  return { gflops: Math.max(a.matmul.gflops, b.matmul.gflops), gbps: Math.max(a.stream.gbps, b.stream.gbps) };
}

const NODE_RUNNERS: Partial<Record<RuntimeName, string>> = { ved: 'ved.js', 'transformers.js': 'transformers-js.js' };

async function benchModel(opts: BenchOptions, name: string, cacheDir: string, work: string, python: string | undefined): Promise<ModelReport> {
  const modelDir = join(cacheDir, name);
  const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as Manifest;
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const referenceInputIds = manifest.torch_greedy.sequences.map((s) => s.slice(0, -1));
  const report: ModelReport = {
    model: name,
    description: DESCRIPTIONS[name] ?? name,
    shape: modelShape(config),
    parameters: manifest.parameters,
    weightBytes: manifest.safetensors_bytes,
    greedyMargin: manifest.torch_greedy.min_top2_margin,
    ...(manifest.float_noise
      ? { floatNoise: { maxAbsLogit: manifest.float_noise.max_abs_logit, eagerVsDefault: manifest.float_noise.eager_vs_default_attention_max_abs_diff } }
      : {}),
    results: [],
    logitDiffs: {},
    skipped: {},
  };
  const plan: Array<{ runtime: RuntimeName; dtype: Dtype }> = [];
  if (opts.runtimes.includes('ved')) for (const dtype of opts.dtypes) plan.push({ runtime: 'ved', dtype });
  if (opts.runtimes.includes('transformers.js')) plan.push({ runtime: 'transformers.js', dtype: 'fp32' });
  if (opts.runtimes.includes('pytorch')) {
    if (python === undefined) report.skipped.PyTorch = 'no Python found (looked for --python, $VED_BENCH_PYTHON, .venv-ref/bin/python)';
    else plan.push({ runtime: 'pytorch', dtype: 'fp32' });
  }
  const logitsFile = (runtime: string, dtype: string) => join(work, `${name}-${runtime}-${dtype}.f32`);
  for (const { runtime, dtype } of plan) {
    const tag = `${runtime}-${dtype}`;
    const req: RunRequest = {
      runtime,
      model: name,
      modelDir,
      dtype,
      threads: opts.threads,
      warmup: opts.warmup,
      runs: opts.runs,
      encoderRuns: opts.encoderRuns,
      newTokens: opts.newTokens,
      numBeams: opts.numBeams,
      batchSize: opts.batchSize,
      tasks: opts.tasks,
      pixelValuesFile: join(modelDir, manifest.inputs.file),
      pixelShape: manifest.inputs.shape,
      resultFile: join(work, `${name}-${tag}.json`),
      ...(runtime === 'transformers.js' ? {} : { referenceInputIds, logitsOut: logitsFile(runtime, dtype) }),
      ...(runtime === 'ved' && dtype !== 'fp32' && existsSync(logitsFile('ved', 'fp32')) ? { fp32Logits: logitsFile('ved', 'fp32') } : {}),
    };
    const requestFile = join(work, `${name}-${tag}-request.json`);
    writeFileSync(requestFile, JSON.stringify(req));
    const loadAverage = loadavg()[0]!;
    say(`\n${name}: ${runtime} ${dtype} (load average ${loadAverage.toFixed(2)})`);
    const runner = NODE_RUNNERS[runtime];
    const [command, args] =
      runner !== undefined
        ? [process.execPath, [join(BENCH_DIR, 'dist', 'runners', runner), requestFile]]
        : [python!, [join(BENCH_DIR, 'torch_runner.py'), requestFile]];
    const result = await runChild<RunResult>(command, args, req.resultFile, `${runtime} ${dtype}`);
    const run: RunResult =
      'error' in result && !('runtime' in result)
        ? { runtime, model: name, dtype, threads: opts.threads, version: '', tasks: {}, error: result.error }
        : (result as RunResult);
    report.results.push({ ...run, loadAverage });
  }
  // Fidelity: teacher-forced logits on PyTorch's greedy ids, compared.
  const read = (runtime: string, dtype: string) => {
    const r = report.results.find((x) => x.runtime === runtime && x.dtype === dtype);
    return r?.logits && existsSync(r.logits.file) ? readFloats(r.logits.file) : undefined;
  };
  const pt = read('pytorch', 'fp32');
  const vedFp32 = read('ved', 'fp32');
  if (vedFp32 && pt) report.logitDiffs['ved fp32 vs PyTorch'] = maxAbsDiff(vedFp32, pt);
  for (const dtype of opts.dtypes.filter((d) => d !== 'fp32')) {
    const q = read('ved', dtype);
    if (q && vedFp32) report.logitDiffs[`ved ${dtype} vs ved fp32`] = maxAbsDiff(q, vedFp32);
  }
  return report;
}

function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    say(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = performance.now();
  const loadStart = loadavg()[0]!;
  const cacheDir = resolve(opts.cacheDir ?? join(BENCH_DIR, '.cache'));
  const python = pythonPath(opts);
  try {
    ensureModels(opts, cacheDir, python);
  } catch (e) {
    say(`pnpm bench: ${(e as Error).message}`);
    return 1;
  }
  if (python === undefined && opts.runtimes.includes('pytorch')) say('PyTorch will be skipped: no Python found (see --python).');

  const work = mkdtempSync(join(tmpdir(), 'ved-bench-'));
  try {
    say(`Measuring the machine's floors (${opts.threads} threads)…`);
    const floorsBefore = await measureFloors(opts, work, 'before');
    const models: ModelReport[] = [];
    if (!opts.trainingOnly) for (const name of opts.models) models.push(await benchModel(opts, name, cacheDir, work, python));
    let loadFormats: LoadFormatsReport | undefined;
    if (!opts.trainingOnly && opts.loadFormatRuns > 0 && opts.models.includes('vit-gpt2') && opts.runtimes.includes('ved')) {
      say('\nCheckpoint formats: pytorch_model.bin vs model.safetensors…');
      loadFormats = await benchLoadFormats({ benchDir: BENCH_DIR, cacheDir, model: 'vit-gpt2', runs: opts.loadFormatRuns, threads: opts.threads, python, work, say });
    }
    const training: TrainingReport[] = [];
    // ved's training child runs as `ved train` does: under tcmalloc where it is installed.
    const tcmalloc = opts.trainAllocator === 'auto' && !opts.trainLowMemory && process.platform === 'linux' ? findTcmalloc() : undefined;
    if (opts.trainRuns > 0 && opts.runtimes.includes('ved')) {
      for (const name of opts.models) {
        const modelDir = join(cacheDir, name);
        const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as Manifest;
        const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
        training.push(
          await benchTraining({
            benchDir: BENCH_DIR, model: name, modelDir, shape: modelShape(config), pixelValuesFile: join(modelDir, manifest.inputs.file),
            pixelShape: manifest.inputs.shape, sequences: manifest.torch_greedy.sequences, batchSize: opts.batchSize, threads: opts.threads,
            warmup: opts.warmup, runs: opts.trainRuns, python: opts.runtimes.includes('pytorch') ? python : undefined, memPattern: opts.trainMemPattern, lowMemory: opts.trainLowMemory,
            ...(tcmalloc !== undefined ? { tcmalloc } : {}), work, say,
          }),
        );
      }
    }
    say('\nMeasuring the floors again…');
    const floorsAfter = await measureFloors(opts, work, 'after');
    const rates = bestRates(floorsBefore, floorsAfter);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const report: BenchReport = {
      date: today(),
      machine: {
        cpu,
        cores: cpus().length,
        memoryGb: totalmem() / 1e9,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        loadStart,
        loadEnd: loadavg()[0]!,
      },
      settings: {
        threads: opts.threads,
        warmup: opts.warmup,
        runs: opts.runs,
        encoderRuns: opts.encoderRuns,
        newTokens: opts.newTokens,
        numBeams: opts.numBeams,
        batchSize: opts.batchSize,
      },
      rates: { ...rates, matmulSize: floorsBefore.matmul.size, streamMb: floorsBefore.stream.bytes / 1e6 },
      models,
      durationS: (performance.now() - started) / 1000,
    };
    const markdown =
      (opts.trainingOnly ? renderTrainingHeader(report) : renderReport(report)) +
      (training.length > 0 ? `\n${renderTraining(training, rates, opts.threads)}` : '') +
      (loadFormats !== undefined ? `\n${renderLoadFormats(loadFormats)}` : '');
    process.stdout.write(`\n${markdown}`);
    if (opts.write) {
      const outDir = resolve(opts.outDir ?? join(BENCH_DIR, 'results'));
      mkdirSync(outDir, { recursive: true });
      const base = join(outDir, opts.trainingOnly ? `training-${report.date}` : report.date);
      writeFileSync(`${base}.md`, markdown);
      // The raw numbers (every run's times, ids, RSS) beside the table; logits files are not kept.
      writeFileSync(`${base}.json`, `${JSON.stringify({ ...report, floors: [floorsBefore, floorsAfter], ...(training.length > 0 ? { training } : {}), ...(loadFormats ? { loadFormats } : {}) }, null, 1)}\n`);
      say(`\nWrote ${base}.md and ${base}.json`);
    }
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
