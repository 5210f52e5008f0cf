/**
 * `pnpm bench:cold`: how long a model takes to be ready, ved against PyTorch's
 * `from_pretrained` in the same run, each load in a fresh process, rounds
 * interleaved (ved without the session cache, ved with a warm cache, PyTorch,
 * then the whole `ved caption` process on one image with a warm cache and
 * without it). Writes bench/results/cold-start-<date>.{md,json}.
 *
 *   pnpm bench:cold [--models vit-gpt2,deit-trocr] [--rounds 3] [--threads N] [--cache DIR] [--no-write]
 *
 * The session cache lives in a private folder under the models' cache
 * (`<cache>/ved-session-cache`), emptied at the start and warmed by one
 * unmeasured load.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(BENCH, '..');

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'vit-gpt2,deit-trocr' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(availableParallelism()) },
    cache: { type: 'string', default: join(BENCH, '.cache') },
    python: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const python = values.python ?? process.env.VED_BENCH_PYTHON ?? join(ROOT, '.venv-ref/bin/python');
const sessionCache = join(values.cache!, 'ved-session-cache');
const image = join(ROOT, 'fixtures/images/rgb_40x30.png');
const cli = join(ROOT, 'packages/backend-node/dist/cli.js');

interface Phase {
  phase: string;
  ms: number;
  cache?: string;
}
interface VedLoad {
  loadMs: number;
  phases: Phase[];
  rssAfterLoadMb: number;
  firstEncoderMs: number;
  peakRssMb: number;
}
interface Row {
  model: string;
  round: number;
  loadAverage: number;
  vedCold: VedLoad;
  vedCached: VedLoad;
  /** Cache warm and onnxruntime's weight prepacking off (`prepackWeights: false`, what `ved caption` does for one image). */
  vedCachedNoPrepack?: VedLoad;
  torch?: { loadMs: number; peakRssMb: number; firstEncoderMs: number };
  cliCachedMs: number;
  cliNoCacheMs: number;
}

const TORCH_LOAD = `
import json, sys, time, torch
t0 = time.perf_counter()
from transformers import VisionEncoderDecoderModel
from transformers.utils import logging
logging.set_verbosity_error()
torch.set_num_threads(int(sys.argv[2])); torch.set_num_interop_threads(1)
t1 = time.perf_counter()
model = VisionEncoderDecoderModel.from_pretrained(sys.argv[1]).eval()
with torch.inference_mode():
    for p in model.parameters():
        p.reshape(-1)[:: max(1, 4096 // p.element_size())].sum()
t2 = time.perf_counter()
c = model.config.encoder
size = c.image_size if isinstance(c.image_size, (list, tuple)) else [c.image_size, c.image_size]
with torch.inference_mode():
    x = torch.sin(torch.arange(3 * size[0] * size[1], dtype=torch.float32) * 0.01).reshape(1, 3, *size)
    t3 = time.perf_counter(); model.encoder(pixel_values=x); t4 = time.perf_counter()
peak = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024
print(json.dumps({"importMs": (t1 - t0) * 1000, "loadMs": (t2 - t1) * 1000, "firstEncoderMs": (t4 - t3) * 1000, "peakRssMb": peak}))
`;

function vedLoad(modelDir: string, cache: string | 'none', noPrepack = false): VedLoad {
  const out = execFileSync(process.execPath, [join(BENCH, 'dist/runners/cold-load.js'), modelDir, String(threads), cache, ...(noPrepack ? ['noprepack'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as VedLoad;
}

function torchLoad(modelDir: string): Row['torch'] {
  if (!existsSync(python)) return undefined;
  const out = execFileSync(python, ['-c', TORCH_LOAD, modelDir, String(threads)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** The whole `ved caption` process on one image (20 new tokens), spawn to exit. */
function cliRun(modelDir: string, noCache: boolean): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, 'caption', image, '--model', modelDir, '--max-new-tokens', '20', ...(noCache ? ['--no-cache'] : [])], {
    env: { ...process.env, VED_CACHE_DIR: sessionCache },
    encoding: 'utf8',
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`ved caption failed (${r.status}): ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (x: number) => x.toFixed(0);
const range = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

const rows: Row[] = [];
const loadStart = loadavg()[0]!;
rmSync(sessionCache, { recursive: true, force: true });
mkdirSync(sessionCache, { recursive: true });
for (const model of values.models!.split(',')) {
  const dir = join(values.cache!, model);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir} has no model: run pnpm bench once (it makes bench/.cache)`);
  process.stderr.write(`[cold] ${model}: warming the session cache (session cache at ${sessionCache})\n`);
  const warm = vedLoad(dir, sessionCache);
  process.stderr.write(`[cold] ${model}: first load with the cache (written) ${fmt(warm.loadMs)} ms\n`);
  vedLoad(dir, sessionCache, true); // the entries of the prepacking-off sessions
  cliRun(dir, false); // the CLI's own first run (its options key entries of their own)
  for (let round = 1; round <= rounds; round++) {
    const loadAverage = loadavg()[0]!;
    const vedCold = vedLoad(dir, 'none');
    const vedCached = vedLoad(dir, sessionCache);
    const vedCachedNoPrepack = vedLoad(dir, sessionCache, true);
    const torch = torchLoad(dir);
    const cliCachedMs = cliRun(dir, false);
    const cliNoCacheMs = cliRun(dir, true);
    rows.push({ model, round, loadAverage, vedCold, vedCached, vedCachedNoPrepack, ...(torch ? { torch } : {}), cliCachedMs, cliNoCacheMs });
    process.stderr.write(
      `[cold] ${model} round ${round} (load ${loadAverage.toFixed(1)}): ved ${fmt(vedCold.loadMs)} ms, cached ${fmt(vedCached.loadMs)} ms, ` +
        `no prepacking ${fmt(vedCachedNoPrepack.loadMs)} ms, PyTorch ${torch ? fmt(torch.loadMs) : 'n/a'} ms, CLI cached ${fmt(cliCachedMs)} ms, no cache ${fmt(cliNoCacheMs)} ms\n`,
    );
  }
}
const loadEnd = loadavg()[0]!;

const lines: string[] = [];
const date = new Date().toISOString().slice(0, 10);
lines.push(`# Cold start, ${date}`, '');
lines.push(
  `${threads} threads; ${rounds} rounds, each load in a fresh process, rounds interleaved; load average ${loadStart.toFixed(1)} at the start, ` +
    `${loadEnd.toFixed(1)} at the end (per round below). Times: median (min–max), ms. "ved" is \`VisionEncoderDecoderModel.fromPretrained\` ` +
    'to both sessions open; "cached" the same with the optimized-session cache warm; PyTorch is `from_pretrained` with every weight touched ' +
    '(imports excluded, as for ved). "no prepacking" is the warm-cache load with `prepackWeights: false` (what `ved caption` does for one image; slower runs of several rows). ' +
    'The CLI rows are the whole `ved caption` process on one image with 20 new tokens, spawn to exit.',
  '',
);
lines.push('| model | ved load | ved load, cache warm | cache warm, no prepacking | PyTorch from_pretrained | cached / PyTorch | no prepacking / PyTorch | ved / PyTorch | CLI 1 image, cache warm | CLI 1 image, --no-cache |');
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const model of new Set(rows.map((r) => r.model))) {
  const rs = rows.filter((r) => r.model === model);
  const cold = rs.map((r) => r.vedCold.loadMs);
  const cached = rs.map((r) => r.vedCached.loadMs);
  const noPrepack = rs.flatMap((r) => (r.vedCachedNoPrepack ? [r.vedCachedNoPrepack.loadMs] : []));
  const torch = rs.flatMap((r) => (r.torch ? [r.torch.loadMs] : []));
  // Ratios within each round, then their median: both sides saw the same machine.
  const ratio = (pick: (r: Row) => number) =>
    torch.length ? median(rs.map((r) => pick(r) / r.torch!.loadMs)).toFixed(2) + '×' : 'n/a';
  lines.push(
    `| ${model} | ${range(cold)} | ${range(cached)} | ${noPrepack.length ? range(noPrepack) : 'n/a'} | ${torch.length ? range(torch) : 'n/a'} | ${ratio((r) => r.vedCached.loadMs)} | ` +
      `${ratio((r) => r.vedCachedNoPrepack?.loadMs ?? NaN)} | ${ratio((r) => r.vedCold.loadMs)} | ` +
      `${range(rs.map((r) => r.cliCachedMs))} | ${range(rs.map((r) => r.cliNoCacheMs))} |`,
  );
}
lines.push('', '## Phases (median over rounds, ms)', '');
lines.push('| model | phase | ved | ved, cache warm |', '|---|---|---|---|');
for (const model of new Set(rows.map((r) => r.model))) {
  const rs = rows.filter((r) => r.model === model);
  for (const phase of rs[0]!.vedCold.phases.map((p) => p.phase)) {
    const pick = (l: VedLoad) => l.phases.find((p) => p.phase === phase);
    const cachedNote = pick(rs[0]!.vedCached)?.cache;
    lines.push(
      `| ${model} | ${phase} | ${fmt(median(rs.map((r) => pick(r.vedCold)?.ms ?? 0)))} | ${fmt(median(rs.map((r) => pick(r.vedCached)?.ms ?? 0)))}${cachedNote ? ` (${cachedNote})` : ''} |`,
    );
  }
  lines.push(
    `| ${model} | first encoder run after the load | ${fmt(median(rs.map((r) => r.vedCold.firstEncoderMs)))} | ${fmt(median(rs.map((r) => r.vedCached.firstEncoderMs)))} |`,
    `| ${model} | peak RSS (MiB) | ${fmt(median(rs.map((r) => r.vedCold.peakRssMb)))} | ${fmt(median(rs.map((r) => r.vedCached.peakRssMb)))} |`,
  );
}
lines.push('', '## Rounds', '', '| model | round | load average | ved | cached | PyTorch | CLI cached | CLI --no-cache |', '|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  lines.push(
    `| ${r.model} | ${r.round} | ${r.loadAverage.toFixed(1)} | ${fmt(r.vedCold.loadMs)} | ${fmt(r.vedCached.loadMs)} | ${r.torch ? fmt(r.torch.loadMs) : 'n/a'} | ${fmt(r.cliCachedMs)} | ${fmt(r.cliNoCacheMs)} |`,
  );
}
const md = `${lines.join('\n')}\n`;
process.stdout.write(md);
if (!values['no-write']) {
  const out = join(BENCH, 'results');
  writeFileSync(join(out, `cold-start-${date}.md`), md);
  writeFileSync(join(out, `cold-start-${date}.json`), `${JSON.stringify({ threads, rounds, loadStart, loadEnd, rows }, null, 1)}\n`);
  process.stderr.write(`[cold] wrote bench/results/cold-start-${date}.{md,json}\n`);
}

