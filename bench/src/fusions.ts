/**
 * Which graph fusions onnxruntime applies, and where the time goes: ved's
 * encoder (and decoder step) graphs beside transformers.js's exports of the
 * same weights, each opened with onnxruntime-node's `optimizedModelFilePath`
 * (the graph after its optimizers) and `enableProfiling` (per-node times).
 *
 * `node bench/dist/fusions.js [--model vit-gpt2|deit-trocr] [--threads N] [--runs N] [--out DIR]`
 * prints, per graph, the op types of the optimized graph (counts) and the
 * profiled time per op type over `--runs` runs; the optimized models and the
 * profiles are left in `--out` (default: a temporary folder).
 *
 * `--runtime web` times the same graphs in onnxruntime-web's WebAssembly build
 * instead, in this Node process (the kernels the browser runs, without a
 * browser's noise): ved's graphs built as the web runtime builds them (linear
 * layers as MatMul, `Runtime.linearAsMatMul`), weights held in memory.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  DirectoryFiles,
  VisionEncoderDecoderConfig,
  WeightBinder,
  buildDecoderGraph,
  buildEncoderGraph,
  compose,
  BuildContext,
  GraphBuilder,
  createSession,
  nodeRuntime,
  loadWeights,
  type BuildLayout,
  type ModelFiles,
  type Runtime,
  type BuiltModel,
  type TrainingMode,
} from '@ved/backend-node';
import { readOnnxOpTypes } from './onnx-ops.js';

interface Args {
  model: string;
  threads: number;
  runs: number;
  out: string;
  graphs: string[];
  profile: boolean;
  /** onnxruntime's intra-op threads spin while idle (ved's sessions do not, see backend-node's runtime.ts). */
  spin: boolean;
  /** `node`: onnxruntime-node (CPU); `web`: onnxruntime-web's WebAssembly build, in this process. */
  runtime: 'node' | 'web';
}

function parseArgs(argv: string[]): Args {
  const args: Args = { model: 'vit-gpt2', threads: 2, runs: 5, out: '', graphs: ['ved-encoder-decomposed', 'ved-encoder-only', 'tjs-encoder'], profile: false, spin: false, runtime: 'node' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--model') args.model = value;
    else if (flag === '--threads') args.threads = Number(value);
    else if (flag === '--runs') args.runs = Number(value);
    else if (flag === '--out') args.out = value;
    else if (flag === '--graphs') args.graphs = value.split(',');
    else if (flag === '--profile') args.profile = value !== '0';
    else if (flag === '--spin') args.spin = value !== '0';
    else if (flag === '--runtime') {
      if (value !== 'node' && value !== 'web') throw new Error(`--runtime is node or web, got ${JSON.stringify(value)}`);
      args.runtime = value;
    } else throw new Error(`unknown flag ${flag}; flags: --model, --threads, --runs, --out, --graphs (ved-encoder, ved-encoder-only, ved-encoder-decomposed, tjs-encoder, ved-decoder), --profile, --spin, --runtime`);
  }
  if (args.runtime === 'web' && (args.profile || args.spin)) throw new Error('--profile and --spin need --runtime node (onnxruntime-web writes no profile file and has no per-session spinning option)');
  return args;
}

/** Sums profiled node times (µs) by op type; a node's time is its `*_kernel_time` event. */
function profileByOp(file: string, runs: number): Map<string, number> {
  const events = JSON.parse(readFileSync(file, 'utf8')) as Array<{ cat: string; name: string; dur: number; args?: { op_name?: string } }>;
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.args?.op_name === undefined) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur / runs);
  }
  return byOp;
}

function pixelFeed(shape: readonly number[]): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.001);
  return new ort.Tensor('float32', data, shape as number[]);
}

/** A graph to compare: how to open it (with the given extra session options) and its feeds. */
interface Candidate {
  name: string;
  open(extra: Record<string, unknown>): Promise<ort.InferenceSession>;
  feeds: Record<string, ort.Tensor>;
}

function sessionOptions(args: Args, extra: Record<string, unknown>): ort.InferenceSession.SessionOptions & Record<string, unknown> {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    extra: { session: { 'intra_op.allow_spinning': args.spin ? '1' : '0' } },
    ...extra,
  };
}

/** How the probe opens sessions: onnxruntime-node, or onnxruntime-web's WebAssembly build in this process. */
interface ProbeRuntime {
  runtime: Runtime;
  layout: BuildLayout;
  open(file: string, options: Record<string, unknown>): Promise<ort.InferenceSession>;
}

async function probeRuntime(args: Args): Promise<ProbeRuntime> {
  if (args.runtime === 'node') {
    return { runtime: nodeRuntime, layout: {}, open: (file, options) => ort.InferenceSession.create(file, options) };
  }
  const web = await import('onnxruntime-web');
  web.env.wasm.numThreads = args.threads;
  const create = (model: Uint8Array, options: Record<string, unknown>) =>
    web.InferenceSession.create(model, { ...options, executionProviders: ['wasm'] }) as unknown as Promise<ort.InferenceSession>;
  return {
    runtime: { name: 'onnxruntime-web (wasm)', createSession: (model, options) => create(model, { ...options }), tensor: (type, data, dims) => new web.Tensor(type, data as never, dims), linearAsMatMul: true },
    // As backend-web builds for WebAssembly (Runtime.linearAsMatMul).
    layout: { linearAsMatMul: true },
    open: (file, options) => create(readFileSync(file), options),
  };
}

async function candidates(args: Args, probe: ProbeRuntime): Promise<Candidate[]> {
  const modelDir = resolve('bench/.cache', args.model);
  const disk = new DirectoryFiles(modelDir);
  // onnxruntime-web reads no files: its weights travel in memory (as in a browser), without the file-backed reads.
  const files: ModelFiles = args.runtime === 'node' ? disk : { location: disk.location, exists: (name) => disk.exists(name), readBytes: (name) => disk.readBytes(name) };
  const raw = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const config = new VisionEncoderDecoderConfig(raw, join(modelDir, 'config.json'));
  const parts = await compose(config);
  const weights = await loadWeights(files);
  const [h, w] = parts.encoder.imageSize(parts.encoderConfig);
  const pixels = pixelFeed([1, parts.encoder.numChannels(parts.encoderConfig), h, w]);
  const fromBuilt = (built: () => BuiltModel) => (extra: Record<string, unknown>) =>
    createSession(probe.runtime, built(), sessionOptions(args, extra) as never) as unknown as Promise<ort.InferenceSession>;
  const out: Candidate[] = [];
  for (const graph of args.graphs) {
    if (graph === 'ved-encoder') {
      out.push({ name: graph, feeds: { pixel_values: pixels }, open: fromBuilt(() => buildEncoderGraph(parts, new WeightBinder(weights), {}, 'fp32', undefined, probe.layout)) });
    } else if (graph === 'ved-encoder-only' || graph === 'ved-encoder-decomposed') {
      // The encoder alone, without the decoder's cross keys/values (the work transformers.js's encoder does);
      // "decomposed": built as training graphs build it (no fused com.microsoft kernels), with nothing trained.
      const decomposed: TrainingMode | undefined =
        graph === 'ved-encoder-decomposed'
          ? {
              trainable: () => false,
              parameter: () => {
                throw new Error('nothing is trained');
              },
            }
          : undefined;
      const build = () => {
        const g = new GraphBuilder('ved_encoder_only');
        const px = g.input('pixel_values', 'float32', ['batch', pixels.dims[1]!, h, w]);
        const root = new BuildContext(g, new WeightBinder(weights), '', 'fp32', decomposed, probe.layout);
        const hidden = parts.encoder.buildGraph(root.at('encoder'), parts.encoderConfig, px, {});
        g.output('last_hidden_state', hidden, 'float32', ['batch', 'encoder_sequence', parts.encoderHidden]);
        return g.build();
      };
      out.push({ name: graph, feeds: { pixel_values: pixels }, open: fromBuilt(build) });
    } else if (graph === 'tjs-encoder') {
      const file = join(modelDir, 'onnx/encoder_model.onnx');
      out.push({ name: graph, feeds: { pixel_values: pixels }, open: (extra) => probe.open(file, sessionOptions(args, extra)) });
    } else if (graph === 'ved-decoder') {
      // One beam-search step: 4 rows after 10 cached tokens.
      const { layers, heads, headDim } = parts.decoder.cacheLayout(parts.decoderConfig);
      const enc = 1 + (h / 16) * (w / 16); // the bench's encoders: patch 16, one special token (GPT-2 and TrOCR see all of them)
      const past = 10;
      const rows = 4;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', new BigInt64Array(rows).fill(5n), [rows, 1]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * (past + 1)).fill(1n), [rows, past + 1]),
        cache_index: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 3n]), [rows]),
        past_lengths: new ort.Tensor('int64', new BigInt64Array(rows).fill(BigInt(past)), [rows]),
      };
      for (let i = 0; i < layers; i++) {
        feeds[`past_key_values.${i}.key`] = pixelFeed([rows, heads, past, headDim]);
        feeds[`past_key_values.${i}.value`] = pixelFeed([rows, heads, past, headDim]);
        feeds[`cross.${i}.key`] = pixelFeed([rows, heads, enc, headDim]);
        feeds[`cross.${i}.value`] = pixelFeed([rows, heads, enc, headDim]);
      }
      out.push({ name: graph, feeds, open: fromBuilt(() => buildDecoderGraph(parts, new WeightBinder(weights), 'fp32', undefined, probe.layout)) });
    } else {
      throw new Error(`unknown graph ${graph}; known: ved-encoder, ved-encoder-only, ved-encoder-decomposed, tjs-encoder, ved-decoder`);
    }
  }
  return out;
}

function stats(t: number[]): string {
  const s = [...t].sort((a, b) => a - b);
  return `min ${s[0]!.toFixed(1)} ms, median ${s[s.length >> 1]!.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.out === '' ? mkdtempSync(join(tmpdir(), 'ved-fusions-')) : resolve(args.out);
  mkdirSync(dir, { recursive: true });
  const probe = await probeRuntime(args);
  const list = await candidates(args, probe);
  // Timing: the graphs' runs interleaved, so that other load on the machine falls on all of them alike.
  const sessions: ort.InferenceSession[] = [];
  for (const c of list) sessions.push(await c.open({}));
  const feedsOf = (i: number) => {
    const wanted = sessions[i]!.inputNames;
    return Object.fromEntries(Object.entries(list[i]!.feeds).filter(([k]) => wanted.includes(k)));
  };
  const times: number[][] = list.map(() => []);
  for (let r = -1; r < args.runs; r++) {
    for (let i = 0; i < list.length; i++) {
      const t0 = performance.now();
      await sessions[i]!.run(feedsOf(i));
      if (r >= 0) times[i]!.push(performance.now() - t0);
    }
  }
  const where = args.runtime === 'web' ? 'onnxruntime-web (WebAssembly, in Node)' : 'onnxruntime-node';
  console.log(`# ${args.model}, ${where}, ${args.threads} threads${args.spin ? ' (spinning)' : ''}, ${args.runs} interleaved runs`);
  for (let i = 0; i < list.length; i++) console.log(`${list[i]!.name.padEnd(18)} ${stats(times[i]!)}`);
  for (const s of sessions) await s.release();
  if (!args.profile) return;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    const optimized = join(dir, `${c.name}.optimized.onnx`);
    const session = await c.open({ optimizedModelFilePath: optimized, enableProfiling: true, profileFilePrefix: join(dir, c.name) });
    const feeds = Object.fromEntries(Object.entries(c.feeds).filter(([k]) => session.inputNames.includes(k)));
    for (let r = 0; r < args.runs; r++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const ops = readOnnxOpTypes(readFileSync(optimized));
    console.log(`\n## ${c.name}: optimized graph ops: ${[...ops].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op}×${n}`).join(', ')}`);
    const file = readdirSync(dir)
      .filter((f) => f.startsWith(`${c.name}_`) && f.endsWith('.json'))
      .sort()
      .pop();
    if (file === undefined) continue;
    const byOp = profileByOp(join(dir, file), args.runs);
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    console.log(`profiled kernel time per run: ${(total / 1000).toFixed(1)} ms`);
    for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1])) console.log(`  ${op.padEnd(28)} ${(us / 1000).toFixed(2).padStart(8)} ms`);
    renameSync(join(dir, file), join(dir, `${c.name}.profile.json`));
  }
  console.log(`\noptimized models and profiles in ${dir}`);
}

await main();
