/**
 * The page of the browser bench (bench/src/browser.ts): ved's backend-web and
 * transformers.js on the same model files from the local server, one runtime
 * per page load (each bundles its own onnxruntime-web, whose WASM threads are
 * set once per page). `window.vedBench.run(request)` loads the model, times the
 * tasks and returns what the Node side prints.
 */
import '@ved/backend-web';
import { VisionEncoderDecoderModel, createWebRuntime, generate, modelGenerationConfig, type ModelFiles } from '@ved/backend-web';
import { AutoModelForVision2Seq, Tensor, env } from '@huggingface/transformers';
import type { BrowserRequest, BrowserResult } from '../src/browser-protocol.js';

/** The model directory over plain HTTP (the bench server serves bench/.cache/<model>/ at /models/<model>/). */
function httpFiles(model: string): ModelFiles {
  const base = new URL(`/models/${model}/`, location.href).href;
  return {
    location: base,
    async exists(name: string) {
      return (await fetch(base + name, { method: 'HEAD' })).ok;
    },
    async readBytes(name: string) {
      const res = await fetch(base + name);
      if (!res.ok) throw new Error(`${base}${name}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  } as ModelFiles;
}

async function pixels(model: string): Promise<{ data: Float32Array; dims: [number, number, number, number] }> {
  const manifest = (await (await fetch(`/models/${model}/manifest.json`)).json()) as { inputs: { file: string; shape: [number, number, number, number] } };
  const data = new Float32Array(await (await fetch(`/models/${model}/${manifest.inputs.file}`)).arrayBuffer());
  return { data, dims: manifest.inputs.shape };
}

function take(p: { data: Float32Array; dims: [number, number, number, number] }, count: number) {
  const [n, c, h, w] = p.dims;
  const size = c * h * w;
  const out = new Float32Array(count * size);
  for (let i = 0; i < count; i++) out.set(p.data.subarray((i % n) * size, ((i % n) + 1) * size), i * size);
  return { data: out, dims: [count, c, h, w] as [number, number, number, number] };
}

async function time(req: BrowserRequest, fn: () => Promise<number[][] | undefined>) {
  const timesMs: number[] = [];
  let sequences: number[][] | undefined;
  // At least `warmup` runs, and more until `warmupMs` has passed: Chromium first runs WebAssembly from its
  // baseline compiler and swaps in optimized code as it tiers up, in the background, for seconds after load.
  const start = performance.now();
  for (let i = 0; i < req.warmup || performance.now() - start < req.warmupMs; i++) await fn();
  for (let i = 0; i < req.runs; i++) {
    const t = performance.now();
    sequences = await fn();
    timesMs.push(performance.now() - t);
  }
  return { timesMs, ...(sequences ? { sequences } : {}) };
}

async function runVed(req: BrowserRequest): Promise<BrowserResult> {
  const runtime = await createWebRuntime({ device: 'wasm', numThreads: req.threads, wasmPaths: new URL('/ort/', location.href).href });
  const p = await pixels(req.model);
  const t0 = performance.now();
  const model = await VisionEncoderDecoderModel.fromPretrained(httpFiles(req.model), runtime, {});
  const loadMs = performance.now() - t0;
  const config = modelGenerationConfig(model.config.raw, model.generationConfigJson);
  const forced = { maxNewTokens: req.newTokens, minNewTokens: req.newTokens, doSample: false };
  const gen = async (count: number, numBeams: number) =>
    (await generate(model, { pixelValues: take(p, count), modelGenerationConfig: config }, { ...forced, numBeams })).sequences.map((s) => s.map(Number));
  const tasks: BrowserResult['tasks'] = {};
  for (const task of req.tasks) {
    if (task === 'encoder') tasks[task] = await time(req, async () => void (await model.encode(take(p, 1))));
    if (task === 'greedy') tasks[task] = await time(req, () => gen(1, 1));
    if (task === 'beam') tasks[task] = await time(req, () => gen(1, req.numBeams));
    if (task === 'batch') tasks[task] = await time(req, () => gen(req.batchSize, 1));
  }
  await model.dispose();
  return { runtime: 'ved', threads: runtime.report.numThreads, crossOriginIsolated, loadMs, tasks };
}

async function runTransformersJs(req: BrowserRequest): Promise<BrowserResult> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = new URL('/models/', location.href).href;
  const wasm = (env.backends.onnx as { wasm?: { wasmPaths?: string; numThreads?: number } }).wasm!;
  wasm.wasmPaths = new URL('/tjs-ort/', location.href).href;
  wasm.numThreads = req.threads;
  const p = await pixels(req.model);
  const t0 = performance.now();
  const model = (await AutoModelForVision2Seq.from_pretrained(req.model, { dtype: 'fp32', device: 'wasm', local_files_only: true })) as unknown as {
    generate(o: Record<string, unknown>): Promise<{ tolist(): Array<Array<bigint | number>> }>;
    _encode_input(s: string, i: Record<string, unknown>, o: string): Promise<unknown>;
    dispose(): Promise<unknown>;
  };
  const loadMs = performance.now() - t0;
  const tensor = (count: number) => {
    const { data, dims } = take(p, count);
    return new Tensor('float32', data, dims);
  };
  const forced = { max_new_tokens: req.newTokens, min_new_tokens: req.newTokens, do_sample: false, num_beams: 1 };
  const gen = async (count: number) => (await model.generate({ pixel_values: tensor(count), ...forced })).tolist().map((r) => r.map(Number));
  const tasks: BrowserResult['tasks'] = {};
  for (const task of req.tasks) {
    if (task === 'encoder') tasks[task] = await time(req, async () => void (await model._encode_input('model', { pixel_values: tensor(1) }, 'last_hidden_state')));
    if (task === 'greedy') tasks[task] = await time(req, () => gen(1));
    if (task === 'beam') tasks[task] = { timesMs: [], skipped: 'transformers.js 4.3.1 has no beam search' };
    if (task === 'batch') tasks[task] = await time(req, () => gen(req.batchSize));
  }
  await model.dispose();
  return { runtime: 'transformers.js', threads: wasm.numThreads ?? req.threads, crossOriginIsolated, loadMs, tasks };
}

(window as unknown as { vedBench: unknown }).vedBench = {
  async run(req: BrowserRequest): Promise<BrowserResult> {
    try {
      return req.runtime === 'ved' ? await runVed(req) : await runTransformersJs(req);
    } catch (err) {
      return { runtime: req.runtime, threads: req.threads, crossOriginIsolated, loadMs: NaN, tasks: {}, error: String((err as Error)?.stack ?? err) };
    }
  },
};
