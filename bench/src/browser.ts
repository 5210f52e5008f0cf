/**
 * `pnpm bench:browser`: ved's backend-web and transformers.js side by side in
 * the same headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core), on the same model files (bench/.cache: ved reads the
 * safetensors checkpoint, transformers.js the ONNX export beside it) served by
 * a local 127.0.0.1 server with COOP/COEP headers, so that WASM threads are
 * available. For each thread count (default 2 and 1) and runtime, a fresh page:
 * load, encoder, greedy, beam (ved only: transformers.js 4.3.1 has none) and a
 * batch of 8, in the bench's forced-token setup. WebGPU is not measured (no
 * GPU on the machines this ran on). Writes bench/results/browser-<date>.{md,json}.
 *
 *   pnpm bench:browser [--models deit-trocr,vit-gpt2] [--threads 2,1] [--runs 3] [--warmup 1] [--warmup-seconds 20] [--tasks ...] [--no-write]
 *
 * Warm-up: at least `--warmup` runs per task, and more until `--warmup-seconds` have passed. Chromium
 * compiles WebAssembly with its baseline compiler first and tiers hot functions up to optimized code in
 * the background; on 2 cores that takes seconds after a load, and runs made meanwhile are 2–4× slower
 * (checked with `--js-flags=--no-liftoff`, which compiles everything optimized up front: ved's greedy
 * TrOCR-small runs then took 811–855 ms from the first, against 806–3815 ms with one warm-up run).
 */
import { createReadStream, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { BrowserRequest, BrowserResult } from './browser-protocol.js';

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(BENCH, '..');

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'deit-trocr,vit-gpt2' },
    threads: { type: 'string', default: '2,1' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'warmup-seconds': { type: 'string', default: '20' },
    tasks: { type: 'string', default: 'encoder,greedy,beam,batch' },
    'new-tokens': { type: 'string', default: '20' },
    cache: { type: 'string', default: join(BENCH, '.cache') },
    'no-write': { type: 'boolean', default: false },
  },
});

/** onnxruntime-web's dist of each side: ved's own (1.30) and the one transformers.js depends on. */
function ortDist(fromPackage: string): string {
  // onnxruntime-web exports no ./package.json; its entry point lies in dist/.
  return dirname(createRequire(join(fromPackage, 'package.json')).resolve('onnxruntime-web'));
}
const VED_ORT = ortDist(join(ROOT, 'packages/backend-web'));
const TJS_ORT = ortDist(resolve(dirname(createRequire(join(BENCH, 'package.json')).resolve('@huggingface/transformers')), '..'));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.html': 'text/html',
  '.map': 'application/json',
};

function serve(page: string): Promise<{ server: Server; origin: string }> {
  const roots: Array<[string, string]> = [
    ['/ort/', VED_ORT],
    ['/tjs-ort/', TJS_ORT],
    ['/models/', values.cache!],
    ['/', page],
  ];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const [prefix, dir] = roots.find(([p]) => path.startsWith(p))!;
    const file = normalize(join(dir, path.slice(prefix.length) || 'index.html'));
    // Cross-origin isolation: SharedArrayBuffer, hence WASM threads.
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', statSync(file).size);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

const page = mkdtempSync(join(tmpdir(), 'ved-bench-browser-'));
await build({
  entryPoints: { page: join(BENCH, 'browser/page.ts') },
  outdir: page,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['source'],
  logLevel: 'error',
  // VED_BENCH_ORT_ENTRY=webgpu|wasm: ved's backend-web on another build of its onnxruntime-web (the default entry
  // loads the JSEP build; `webgpu` the asyncify build transformers.js loads, `wasm` the CPU-only one).
  plugins: process.env.VED_BENCH_ORT_ENTRY
    ? [
        {
          name: 'ved-ort-entry',
          setup(b) {
            b.onResolve({ filter: /^onnxruntime-web$/ }, (args) =>
              args.importer.includes(`${join('packages', 'backend-web')}`)
                ? b.resolve(`onnxruntime-web/${process.env.VED_BENCH_ORT_ENTRY}`, { resolveDir: args.resolveDir, kind: args.kind })
                : undefined,
            );
          },
        },
      ]
    : [],
});
writeFileSync(join(page, 'index.html'), '<!doctype html><meta charset="utf-8"><title>ved bench</title><script type="module" src="page.js"></script>\n');
const { server, origin } = await serve(page);
/** One page's run may take long on a busy machine, but not forever. */
const RUN_TIMEOUT_MS = 30 * 60_000;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
});

interface Row extends BrowserResult {
  model: string;
  requestedThreads: number;
  loadAverage: number;
}
const rows: Row[] = [];
const loadStart = loadavg()[0]!;
try {
  for (const model of values.models!.split(',')) {
    for (const threads of values.threads!.split(',').map(Number)) {
      for (const runtime of ['ved', 'transformers.js'] as const) {
        const req: BrowserRequest = {
          runtime,
          model,
          threads,
          warmup: Number(values.warmup),
          warmupMs: 1000 * Number(values['warmup-seconds']),
          runs: Number(values.runs),
          newTokens: Number(values['new-tokens']),
          numBeams: 4,
          batchSize: 8,
          tasks: values.tasks!.split(',') as BrowserRequest['tasks'],
        };
        const loadAverage = loadavg()[0]!;
        process.stderr.write(`[browser] ${model}, ${runtime}, ${threads} thread(s) (load average ${loadAverage.toFixed(1)})\n`);
        const context = await browser.newContext();
        const tab = await context.newPage();
        tab.on('pageerror', (e) => process.stderr.write(`[browser] page error: ${e.message}\n`));
        tab.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning' || process.env.VED_BENCH_VERBOSE) process.stderr.write(`[browser] console ${m.type()}: ${m.text()}\n`);
        });
        tab.on('requestfailed', (r) => process.stderr.write(`[browser] request failed: ${r.url()} ${r.failure()?.errorText ?? ''}\n`));
        await tab.goto(`${origin}/index.html`);
        await tab.waitForFunction(() => 'vedBench' in window);
        tab.setDefaultTimeout(RUN_TIMEOUT_MS);
        const result = (await tab.evaluate(
          (r) => (window as unknown as { vedBench: { run(r: unknown): Promise<unknown> } }).vedBench.run(r),
          req,
        )) as BrowserResult;
        await context.close();
        if (result.error) process.stderr.write(`[browser] ${runtime} failed: ${result.error}\n`);
        else process.stderr.write(`[browser]   load ${result.loadMs.toFixed(0)} ms, ${Object.entries(result.tasks).map(([k, v]) => `${k} ${v.timesMs.map((t) => t.toFixed(0)).join('/')}`).join(', ')}\n`);
        rows.push({ ...result, model, requestedThreads: threads, loadAverage });
      }
    }
  }
} finally {
  await browser.close();
  server.close();
}
const loadEnd = loadavg()[0]!;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const cell = (r: Row | undefined, task: string) => {
  if (!r || r.error) return 'failed';
  const t = r.tasks[task];
  if (!t) return '';
  if (t.skipped) return 'n/a';
  return `${median(t.timesMs).toFixed(0)} (${Math.min(...t.timesMs).toFixed(0)}–${Math.max(...t.timesMs).toFixed(0)})`;
};
const date = new Date().toISOString().slice(0, 10);
const lines = [`# The browser, side by side, ${date}`, ''];
lines.push(
  `Headless Chromium (${await (async () => browser.version())().catch(() => 'version unknown')}), WASM (SIMD), cross-origin isolated page from a 127.0.0.1 server with COOP/COEP; ` +
    `each runtime in a fresh page, one after the other; per task at least ${values.warmup} warm-up run(s) and ${values['warmup-seconds']} s of them (WebAssembly tier-up), then ${values.runs} measured runs, ${values['new-tokens']} forced new tokens; ` +
    `load average ${loadStart.toFixed(1)} at the start, ${loadEnd.toFixed(1)} at the end (per run below). Times: median (min–max), ms. ` +
    'ved loads the safetensors checkpoint and builds its graphs; transformers.js loads the ONNX export of the same weights. WebGPU was not measured (no GPU).',
  '',
  '| model | threads | runtime | load | encoder, 1 image | greedy, 1 image | beam 4, 1 image | greedy, batch of 8 | load average |',
  '|---|---|---|---|---|---|---|---|---|',
);
for (const r of rows) {
  lines.push(
    `| ${r.model} | ${r.threads} | ${r.runtime} | ${r.error ? 'failed' : r.loadMs.toFixed(0)} | ${cell(r, 'encoder')} | ${cell(r, 'greedy')} | ${cell(r, 'beam')} | ${cell(r, 'batch')} | ${r.loadAverage.toFixed(1)} |`,
  );
}
lines.push('', '| model | threads | ved / transformers.js: load | encoder | greedy | batch of 8 | greedy ids equal |', '|---|---|---|---|---|---|---|');
for (const model of new Set(rows.map((r) => r.model))) {
  for (const threads of new Set(rows.map((r) => r.requestedThreads))) {
    const v = rows.find((r) => r.model === model && r.requestedThreads === threads && r.runtime === 'ved');
    const t = rows.find((r) => r.model === model && r.requestedThreads === threads && r.runtime === 'transformers.js');
    if (!v || !t || v.error || t.error) continue;
    const ratio = (task: string) => {
      const a = v.tasks[task]?.timesMs ?? [];
      const b = t.tasks[task]?.timesMs ?? [];
      return a.length && b.length ? `${(median(a) / median(b)).toFixed(2)}×` : 'n/a';
    };
    const same = JSON.stringify(v.tasks.greedy?.sequences) === JSON.stringify(t.tasks.greedy?.sequences);
    lines.push(`| ${model} | ${threads} | ${(v.loadMs / t.loadMs).toFixed(2)}× | ${ratio('encoder')} | ${ratio('greedy')} | ${ratio('batch')} | ${same ? 'yes' : 'no'} |`);
  }
}
const md = `${lines.join('\n')}\n`;
process.stdout.write(md);
if (!values['no-write']) {
  writeFileSync(join(BENCH, 'results', `browser-${date}.md`), md);
  writeFileSync(join(BENCH, 'results', `browser-${date}.json`), `${JSON.stringify({ loadStart, loadEnd, rows }, null, 1)}\n`);
  process.stderr.write(`[browser] wrote bench/results/browser-${date}.{md,json}\n`);
}
