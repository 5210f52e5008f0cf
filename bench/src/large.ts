/**
 * `pnpm bench:large`: models of real size beyond 2 GB, ved against PyTorch in
 * the same run. The checkpoints are random, made by bench/make_large_models.py
 * into bench/.cache (trocr-large: 558M parameters, fp32 safetensors over 2 GB;
 * donut-base: DonutSwin-B at 2560×1920 + mBART). Each runtime runs in its own
 * child (bench/src/runners/ved.ts, bench/torch_runner.py: the main bench's
 * runners and protocol), rounds alternate between them: load, the encoder on
 * one image, greedy with forced new tokens, peak RSS, and whether the greedy ids
 * agree. Writes bench/results/large-<date>.{md,json}.
 *
 *   pnpm bench:large [--models trocr-large,donut-base] [--rounds 2] [--runs 1] [--new-tokens 20] [--threads N] [--no-write]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunRequest, RunResult } from './protocol.js';

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(BENCH, '..');

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'trocr-large,donut-base' },
    rounds: { type: 'string', default: '2' },
    runs: { type: 'string', default: '1' },
    'new-tokens': { type: 'string', default: '20' },
    threads: { type: 'string', default: String(availableParallelism()) },
    cache: { type: 'string', default: join(BENCH, '.cache') },
    python: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const python = values.python ?? process.env.VED_BENCH_PYTHON ?? join(ROOT, '.venv-ref/bin/python');
const work = mkdtempSync(join(tmpdir(), 'ved-bench-large-'));

interface Manifest {
  parameters: number;
  safetensors_bytes: number;
  inputs: { file: string; shape: [number, number, number, number] };
}

interface Run extends RunResult {
  round: number;
  loadAverage: number;
}

function runOne(model: string, runtime: 'ved' | 'pytorch', round: number): Run {
  const dir = join(values.cache!, model);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const req: RunRequest = {
    runtime,
    model,
    modelDir: dir,
    dtype: 'fp32',
    threads: Number(values.threads),
    warmup: 0,
    runs: Number(values.runs),
    encoderRuns: Number(values.runs),
    newTokens: Number(values['new-tokens']),
    numBeams: 1,
    batchSize: 1,
    tasks: ['encoder', 'greedy'],
    pixelValuesFile: join(dir, manifest.inputs.file),
    pixelShape: manifest.inputs.shape,
    resultFile: join(work, `${model}-${runtime}-${round}.json`),
  };
  const requestFile = join(work, `${model}-${runtime}-${round}-request.json`);
  writeFileSync(requestFile, JSON.stringify(req));
  const loadAverage = loadavg()[0]!;
  process.stderr.write(`[large] ${model} ${runtime} round ${round} (load average ${loadAverage.toFixed(1)})\n`);
  const [command, args] =
    runtime === 'ved' ? [process.execPath, [join(BENCH, 'dist/runners/ved.js'), requestFile]] : [python, [join(BENCH, 'torch_runner.py'), requestFile]];
  const r = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1', OMP_WAIT_POLICY: 'PASSIVE' } });
  if (!existsSync(req.resultFile)) {
    return { runtime, model, dtype: 'fp32', threads: req.threads, version: '', tasks: {}, error: `exited ${r.status ?? r.signal} without a result`, round, loadAverage };
  }
  return { ...(JSON.parse(readFileSync(req.resultFile, 'utf8')) as RunResult), round, loadAverage };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

const runs: Run[] = [];
const loadStart = loadavg()[0]!;
const models = values.models!.split(',').filter((m) => existsSync(join(values.cache!, m, 'manifest.json')));
for (const m of values.models!.split(',')) if (!models.includes(m)) process.stderr.write(`[large] ${m}: not in ${values.cache} (run bench/make_large_models.py); skipped\n`);
for (const model of models) {
  for (let round = 1; round <= Number(values.rounds); round++) {
    // Alternating which runtime goes first, so neither always meets a colder page cache.
    const order: Array<'ved' | 'pytorch'> = round % 2 ? ['ved', 'pytorch'] : ['pytorch', 'ved'];
    for (const runtime of order) runs.push(runOne(model, runtime, round));
  }
}
const loadEnd = loadavg()[0]!;

const date = new Date().toISOString().slice(0, 10);
const lines = [`# Models of real size beyond 2 GB, ${date}`, ''];
lines.push(
  `${values.threads} threads, fp32, ${values.rounds} rounds per model (ved and PyTorch alternating, each in a fresh process), ` +
    `${values.runs} measured run(s) per task per round, no warm-up; greedy forces ${values['new-tokens']} new tokens. ` +
    `Load average ${loadStart.toFixed(1)} at the start, ${loadEnd.toFixed(1)} at the end (per run in the JSON). ` +
    'Times: median over rounds, ms; ratios: ved / PyTorch within each round, then their median.',
  '',
  '| model | parameters | safetensors | runtime | load | encoder, 1 image | greedy, 1 image | peak RSS (MiB) | greedy ids equal |',
  '|---|---|---|---|---|---|---|---|---|',
);
for (const model of models) {
  const manifest = JSON.parse(readFileSync(join(values.cache!, model, 'manifest.json'), 'utf8')) as Manifest;
  const of = (rt: string) => runs.filter((r) => r.model === model && r.runtime === rt);
  const seq = (r: Run | undefined) => JSON.stringify(r?.tasks.greedy?.sequences ?? null);
  const agree = of('ved').every((v) => of('pytorch').every((p) => seq(v) === seq(p) && seq(v) !== 'null'));
  for (const rt of ['ved', 'pytorch']) {
    const rs = of(rt);
    const err = rs.find((r) => r.error)?.error;
    lines.push(
      `| ${model} | ${(manifest.parameters / 1e6).toFixed(0)}M | ${(manifest.safetensors_bytes / 2 ** 30).toFixed(2)} GiB | ${rt === 'ved' ? 'ved' : 'PyTorch'} | ` +
        (err
          ? `failed: ${err} | | | | |`
          : `${fmt(median(rs.map((r) => r.loadMs ?? NaN)))} | ${fmt(median(rs.flatMap((r) => r.tasks.encoder?.timesMs ?? [])))} | ` +
            `${fmt(median(rs.flatMap((r) => r.tasks.greedy?.timesMs ?? [])))} | ${fmt(median(rs.map((r) => r.peakRssMb ?? NaN)))} | ${rt === 'ved' ? (agree ? 'yes' : 'no') : ''} |`),
    );
  }
  const ratio = (pick: (r: Run) => number | undefined) =>
    median(
      of('ved').flatMap((v) => {
        const p = of('pytorch').find((x) => x.round === v.round);
        const a = pick(v);
        const b = p ? pick(p) : undefined;
        return a !== undefined && b !== undefined && b > 0 ? [a / b] : [];
      }),
    ).toFixed(2);
  lines.push(
    `| ${model} | | | ved / PyTorch | ${ratio((r) => r.loadMs)}× | ${ratio((r) => median(r.tasks.encoder?.timesMs ?? []))}× | ` +
      `${ratio((r) => median(r.tasks.greedy?.timesMs ?? []))}× | ${ratio((r) => r.peakRssMb)}× | |`,
  );
}
const md = `${lines.join('\n')}\n`;
process.stdout.write(md);
if (!values['no-write']) {
  writeFileSync(join(BENCH, 'results', `large-${date}.md`), md);
  writeFileSync(join(BENCH, 'results', `large-${date}.json`), `${JSON.stringify({ loadStart, loadEnd, runs }, null, 1)}\n`);
  process.stderr.write(`[large] wrote bench/results/large-${date}.{md,json}\n`);
}
