/**
 * `pnpm bench:serve`: serving throughput and latency on loopback, bounded in
 * requests and time.
 *
 * For each bench model (bench/make_models.py: ViT-B/16 + GPT-2, DeiT-small +
 * TrOCR-small), three servers on the same machine and threads: `ved serve`
 * (continuous batching), `ved serve --no-batching` (one request after another),
 * and a minimal transformers.js HTTP server around its pipeline. Each gets the
 * same 640x480 PNG with `max_new_tokens = min_new_tokens = N` (every server does
 * the same work) from 1, 4, 16 and 64 concurrent clients (autocannon). Then:
 * `ved serve` with a small queue at 64 clients (sheds with 503, memory
 * bounded), 1000 requests (memory flat), and `ved worker` with 1 and 2
 * processes on one Redis. Results: bench/results/serve-<date>.md and .json.
 *
 * usage: node bench/serve/dist/main.js [--models vit-gpt2,deit-trocr] [--clients 1,4,16,64]
 *        [--new-tokens 20] [--threads N] [--quick] [--cache DIR] [--skip PARTS] [--rss-models deit-trocr] [--out NAME]
 *        [--dtype fp32|fp16|q8|q4]  (ved's servers and workers; the transformers.js server runs its fp32 export)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import { runLevel, type LevelResult } from './load.js';
import { REPO_ROOT, startRedis, startTransformersJs, startVed, startWorker, vedCommand, type Proc } from './servers.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'vit-gpt2,deit-trocr' },
    clients: { type: 'string', default: '1,4,16,64' },
    'new-tokens': { type: 'string', default: '20' },
    threads: { type: 'string', default: String(availableParallelism()) },
    quick: { type: 'boolean', default: false },
    cache: { type: 'string', default: join(REPO_ROOT, 'bench/.cache') },
    skip: { type: 'string', default: '' },
    'rss-models': { type: 'string', default: 'deit-trocr' },
    out: { type: 'string' },
    dtype: { type: 'string', default: 'fp32' },
  },
});
if (!['fp32', 'fp16', 'q8', 'q4'].includes(values.dtype)) throw new Error(`--dtype is ${values.dtype}; expected fp32, fp16, q8 or q4`);
/** `ved serve` / `ved worker` flags for the weight type (none for the default). */
const dtypeArgs = values.dtype === 'fp32' ? [] : ['--dtype', values.dtype];
const models = values.models.split(',');
const clientLevels = values.clients.split(',').map(Number);
const newTokens = Number(values['new-tokens']);
const threads = Number(values.threads);
const quick = values.quick;
const skip = new Set(values.skip.split(',').filter(Boolean));
/** Requests per level: enough for percentiles, bounded in time. */
const amountFor = (clients: number) => (quick ? Math.max(clients, 4) : Math.max(12, Math.min(2 * clients, 64)));

const say = (msg: string) => process.stderr.write(`[bench:serve] ${msg}\n`);

/** Servers and workers running now: stopped if the bench is interrupted. */
const running = new Set<Proc>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const p of running) p.child.kill('SIGKILL');
    process.exit(130);
  });
}
async function tracked(p: Promise<Proc>): Promise<Proc> {
  const proc = await p;
  running.add(proc);
  void proc.child.once('exit', () => running.delete(proc));
  return proc;
}

/** A deterministic 640x480 RGB PNG (gradients and stripes), encoded here. */
function benchImage(width = 640, height = 480): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const o = row + 1 + x * 3;
      raw[o] = (x * 255) / width;
      raw[o + 1] = (y * 255) / height;
      raw[o + 2] = ((x >> 4) + (y >> 4)) % 2 === 0 ? 230 : 30;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

interface ServerRun {
  server: string;
  loadedMb: number;
  levels: Array<LevelResult & { rssMb: number }>;
  peakMb: number;
}

interface ModelRun {
  model: string;
  servers: ServerRun[];
  shedding?: LevelResult & { maxQueue: number; peakMb: number; loadedMb: number };
  rssFlat?: { requests: number[]; rssMb: number[] };
  workers?: Array<{ processes: number; jobs: number; seconds: number; imagesPerSecond: number }>;
}

const PATH = `/v1/caption?max_new_tokens=${newTokens}&min_new_tokens=${newTokens}`;

/**
 * The three servers run side by side (idle while another is measured), and each
 * load level runs on every server in turn, so that a machine whose background load
 * drifts favours none of them.
 */
async function measureServers(procs: Proc[], image: Buffer): Promise<ServerRun[]> {
  const runs: ServerRun[] = [];
  for (const proc of procs) {
    // Warm-up: the first requests pay for lazy initialisation.
    await runLevel(proc.base, PATH, image, 2, 2);
    runs.push({ server: proc.name, loadedMb: proc.memory().rssMb, levels: [], peakMb: 0 });
  }
  for (const clients of clientLevels) {
    for (const [i, proc] of procs.entries()) {
      // Warm-up at this level (not counted): the runtime's arena grows until the largest batch shapes have run,
      // and memory the process has not touched yet is slow to fault in on a VM; a long-running server is past both.
      const warm = Math.min(clients, 16);
      await runLevel(proc.base, PATH, image, warm, warm);
      const r = await runLevel(proc.base, PATH, image, clients, amountFor(clients));
      const rssMb = proc.memory().rssMb;
      runs[i]!.levels.push({ ...r, rssMb });
      say(`  ${proc.name}, ${clients} clients: ${r.throughput.toFixed(2)} images/s, p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms (${r.ok} ok, ${r.shed} shed, ${r.failed} failed), RSS ${rssMb.toFixed(0)} MiB, load ${loadavg()[0]!.toFixed(1)}`);
    }
  }
  procs.forEach((proc, i) => (runs[i]!.peakMb = proc.memory().peakMb));
  return runs;
}

async function benchModel(model: string, image: Buffer): Promise<ModelRun> {
  const dir = join(values.cache, model);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir} is missing: run \`pnpm bench\` once (it makes the models with bench/make_models.py), or .venv-ref/bin/python bench/make_models.py`);
  const run: ModelRun = { model, servers: [] };
  const starters: Array<[string, () => Promise<Proc>]> = [
    ['ved', () => startVed(dir, threads, dtypeArgs)],
    ['ved-no-batching', () => startVed(dir, threads, ['--no-batching', ...dtypeArgs])],
    ['transformers.js', () => startTransformersJs(dir, threads)],
  ];
  const procs: Proc[] = [];
  try {
    for (const [key, startServer] of starters) {
      if (skip.has(key)) continue;
      say(`${model}: starting ${key}`);
      procs.push(await tracked(startServer()));
    }
    run.servers = await measureServers(procs, image);
  } finally {
    for (const proc of procs) await proc.stop();
  }
  if (!skip.has('shedding')) {
    const maxQueue = 8;
    say(`${model}: ved serve --max-queue ${maxQueue} at 64 clients`);
    const proc = await tracked(startVed(dir, threads, ['--max-queue', String(maxQueue), ...dtypeArgs]));
    try {
      await runLevel(proc.base, PATH, image, 2, 2);
      const loadedMb = proc.memory().rssMb;
      const r = await runLevel(proc.base, PATH, image, 64, quick ? 64 : 256);
      run.shedding = { ...r, maxQueue, peakMb: proc.memory().peakMb, loadedMb };
      say(`  ${r.ok} ok, ${r.shed} shed with 503, ${r.failed} failed; RSS loaded ${loadedMb.toFixed(0)} MiB, peak ${run.shedding.peakMb.toFixed(0)} MiB`);
    } finally {
      await proc.stop();
    }
  }
  if (!skip.has('rss') && values['rss-models'].split(',').includes(model)) {
    const total = quick ? 200 : 1000;
    say(`${model}: ${total} requests, resident memory`);
    const proc = await tracked(startVed(dir, threads, dtypeArgs));
    try {
      const flat = { requests: [] as number[], rssMb: [] as number[] };
      const path = `/v1/caption?max_new_tokens=4`;
      let done = 0;
      for (let k = 1; k <= 10; k++) {
        const step = (total * k) / 10;
        await runLevel(proc.base, path, image, 16, step - done);
        done = step;
        flat.requests.push(done);
        flat.rssMb.push(proc.memory().rssMb);
      }
      run.rssFlat = flat;
      say(`  RSS after ${flat.requests.join(' / ')} requests: ${flat.rssMb.map((m) => m.toFixed(0)).join(' / ')} MiB`);
    } finally {
      await proc.stop();
    }
  }
  if (!skip.has('workers')) run.workers = await benchWorkers(dir, image);
  return run;
}

async function benchWorkers(modelDir: string, image: Buffer): Promise<NonNullable<ModelRun['workers']>> {
  const jobs = quick ? 16 : 32;
  const dir = join(REPO_ROOT, 'bench/.cache/serve-images');
  mkdirSync(dir, { recursive: true });
  const out: NonNullable<ModelRun['workers']> = [];
  for (const processes of [1, 2]) {
    const redis = await startRedis();
    try {
      const queue = `bench-${processes}`;
      // Distinct paths: job ids come from image paths.
      const manifest = join(dir, `${queue}.jsonl`);
      const lines: string[] = [];
      for (let i = 0; i < jobs; i++) {
        const file = join(dir, `img-${i}.png`);
        if (!existsSync(file)) writeFileSync(file, image);
        lines.push(JSON.stringify({ image: file }));
      }
      writeFileSync(manifest, `${lines.join('\n')}\n`);
      const perThreads = Math.max(1, Math.floor(threads / processes));
      const workers: Proc[] = [];
      for (let i = 0; i < processes; i++) workers.push(await tracked(startWorker(modelDir, redis.url, queue, perThreads, 16, dtypeArgs)));
      const started = performance.now();
      await vedCommand(['enqueue', '--redis', redis.url, '--queue', queue, '--manifest', manifest, '--generation-config', JSON.stringify({ max_new_tokens: newTokens, min_new_tokens: newTokens })]);
      await vedCommand(['results', '--redis', redis.url, '--queue', queue, '--manifest', manifest, '--out', join(dir, `${queue}.out.jsonl`), '--wait', '--poll-ms', '100']);
      const seconds = (performance.now() - started) / 1000;
      for (const w of workers) await w.stop();
      out.push({ processes, jobs, seconds, imagesPerSecond: jobs / seconds });
      say(`  ${processes} worker process(es), ${perThreads} thread(s) each: ${jobs} jobs in ${seconds.toFixed(1)} s = ${(jobs / seconds).toFixed(2)} images/s`);
    } finally {
      await redis.stop();
    }
  }
  return out;
}

function report(runs: ModelRun[], meta: Record<string, string>): string {
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines: string[] = ['# ved serve benchmark', ''];
  for (const [k, v] of Object.entries(meta)) lines.push(`- ${k}: ${v}`);
  for (const run of runs) {
    lines.push('', `## ${run.model}`, '', `Throughput (images/s) and latency of 2xx answers (ms), ${newTokens} new tokens per image, loopback:`, '');
    lines.push('| server | clients | requests | images/s | p50 | p95 | p99 | p99/p50 | RSS (MiB) |', '|---|---|---|---|---|---|---|---|---|');
    for (const s of run.servers) {
      for (const l of s.levels) lines.push(`| ${s.server} | ${l.clients} | ${l.requests} | ${f(l.throughput, 2)} | ${f(l.p50)} | ${f(l.p95)} | ${f(l.p99)} | ${f(l.p99 / l.p50, 2)} | ${f(l.rssMb)} |`);
    }
    const ved = run.servers.find((s) => s.server === 'ved serve');
    const off = run.servers.find((s) => s.server === 'ved serve --no-batching');
    const tjs = run.servers.find((s) => s.server === 'transformers.js server');
    const at = (s: ServerRun | undefined, c: number) => s?.levels.find((l) => l.clients === c);
    lines.push('', '| clients | ved / batching off (throughput) | ved / transformers.js (throughput) |', '|---|---|---|');
    for (const c of clientLevels) lines.push(`| ${c} | ${f((at(ved, c)?.throughput ?? NaN) / (at(off, c)?.throughput ?? NaN), 2)}× | ${f((at(ved, c)?.throughput ?? NaN) / (at(tjs, c)?.throughput ?? NaN), 2)}× |`);
    const v16 = at(ved, 16);
    const o16 = at(off, 16);
    lines.push('', '| goal | measured | met |', '|---|---|---|');
    if (v16 && o16) {
      const ratio = v16.throughput / o16.throughput;
      lines.push(`| 16 clients: throughput ≥ 3× batching off | ${f(ratio, 2)}× | ${ratio >= 3 ? 'yes' : 'no'} |`);
      lines.push(`| 16 clients: p99 ≤ 3× p50 | ${f(v16.p99 / v16.p50, 2)}× | ${v16.p99 <= 3 * v16.p50 ? 'yes' : 'no'} |`);
    }
    if (run.shedding) {
      const s = run.shedding;
      const base = at(ved, 16);
      lines.push(`| 64 clients, --max-queue ${s.maxQueue}: sheds with 503 | ${s.shed} of ${s.requests} answers 503, ${s.ok} ok, ${s.failed} other | ${s.shed > 0 && s.failed === 0 ? 'yes' : 'no'} |`);
      lines.push(`| 64 clients, --max-queue ${s.maxQueue}: RSS bounded | peak ${f(s.peakMb)} MiB (after load ${f(s.loadedMb)} MiB${base ? `; 16 clients with the default queue: ${f(base.rssMb)} MiB` : ''}) | ${base === undefined || s.peakMb <= Math.max(1.5 * base.rssMb, base.rssMb + 256) ? 'yes' : 'no'} |`);
    }
    if (run.rssFlat) {
      const r = run.rssFlat;
      // Flat once warm: the second half adds little (the runtime's arena grows until the largest batch shapes have run).
      const half = r.rssMb[Math.floor(r.rssMb.length / 2) - 1]!;
      const growth = r.rssMb.at(-1)! - half;
      lines.push(
        `| ${r.requests.at(-1)} requests: RSS flat | ${r.requests.map((n, i) => `${n}: ${f(r.rssMb[i]!)}`).join(', ')} MiB; second half ${growth >= 0 ? '+' : ''}${f(growth)} MiB | ${growth <= Math.max(64, 0.1 * half) ? 'yes' : 'no'} |`,
      );
    }
    if (run.workers) {
      lines.push('', '`ved worker` processes on one Redis (threads split between them):', '', '| processes | jobs | seconds | images/s |', '|---|---|---|---|');
      for (const w of run.workers) lines.push(`| ${w.processes} | ${w.jobs} | ${f(w.seconds, 1)} | ${f(w.imagesPerSecond, 2)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const image = benchImage();
const version = (p: string) => (JSON.parse(readFileSync(join(REPO_ROOT, p), 'utf8')) as { version: string }).version;
const meta: Record<string, string> = {
  date: new Date().toISOString(),
  machine: `${availableParallelism()} cores, Node ${process.version}, ${threads} intra-op threads per server`,
  'ved weights': values.dtype,
  'load average before': loadavg().map((x) => x.toFixed(2)).join(', '),
  'request': `POST ${PATH} with a 640x480 PNG (${image.length} bytes)`,
  'requests per level': quick
    ? 'max(clients, 4) (--quick), after min(clients, 16) warm-up requests at min(clients, 16) clients'
    : 'max(12, min(2 × clients, 64)), after 2 warm-up requests per server, then min(clients, 16) at min(clients, 16) clients before each level',
  versions: `fastify ${version('node_modules/.pnpm/node_modules/fastify/package.json')}, autocannon ${version('bench/node_modules/autocannon/package.json')}, transformers.js ${version('bench/node_modules/@huggingface/transformers/package.json')}`,
};
const runs: ModelRun[] = [];
for (const model of models) runs.push(await benchModel(model, image));
meta['load average after'] = loadavg().map((x) => x.toFixed(2)).join(', ');
const text = report(runs, meta);
process.stdout.write(text);
const name = values.out ?? `serve-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}`;
mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(REPO_ROOT, `bench/results/${name}.md`), text);
writeFileSync(join(REPO_ROOT, `bench/results/${name}.json`), `${JSON.stringify({ meta, runs }, null, 2)}\n`);
say(`written bench/results/${name}.md`);
