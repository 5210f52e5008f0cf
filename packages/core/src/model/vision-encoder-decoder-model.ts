/**
 * `VisionEncoderDecoderModel`: a vision encoder and a text decoder joined by
 * cross-attention, run as two ONNX graphs (see graphs.ts). Reference:
 * transformers `models/vision_encoder_decoder/modeling_vision_encoder_decoder.py`
 * (`VisionEncoderDecoderModel.__init__`, `from_encoder_decoder_pretrained`, `forward`).
 */
import { VedError } from '../errors.js';
import { isRecord } from '../config/config-reader.js';
import { VisionEncoderDecoderConfig } from '../config/vision-encoder-decoder-config.js';
import { readJson, readOptionalJson, type ModelFiles } from '../io/model-files.js';
import type { InferenceSession, Runtime, Tensor, TensorData, TensorType } from '../runtime.js';
import type { TensorSource } from '../safetensors/index.js';
import { withoutFilePaths } from '../safetensors/tensor-source.js';
import { WeightBinder } from '../weights/weight-binder.js';
import { WEIGHT_DTYPES, type BuildLayout, type WeightDtype } from '../nn/context.js';
import { compose, type Composition } from './composition.js';
import { PAST_LENGTHS, buildDecoderGraph, buildEncoderGraph, crossKeyName, crossValueName } from './graphs.js';
import { OrtDecodingSession, createSession, gatherRows } from './run-graphs.js';
import { OrtRowBatchSession } from './row-batch-session.js';
import type { DecodingSession, EncodedImages, EncodeOptions, EncoderDecoderLM, PixelBatch, RowBatchSession, StepLogits } from './decoding.js';
import { loadWeights } from './weights-loader.js';
import { composeFromPretrained, type ComposeOptions } from './compose-pretrained.js';
import { crossEntropyLoss, shiftTokensRight } from './loss.js';
import { serializePretrained, type SaveOptions, type SavedFile } from './serialize.js';
import { modelWeightSpecs } from './weight-specs.js';
import { initializeWeights } from '../weights/initialize.js';
import { checkLabels, disposedError, type DecoderLimits } from './decoder-limits.js';
import { checkModelSize } from './size-check.js';
import { reportUnexpectedWeights } from './unexpected-weights.js';
import { SeededRandom } from '../random/seeded-random.js';
import { sessionTimer, timed, timedSync, type TimingListener } from './load-timing.js';
import type { BuiltModel } from '../onnx/graph-builder.js';

export interface LoadOptions {
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * Storage of the matrix weights: `fp32` (default, exact), `fp16`, `q8`
   * (int8 per channel, dynamic-quantized MatMul) or `q4` (4-bit blocks),
   * quantized in TypeScript from any checkpoint on load.
   */
  dtype?: WeightDtype;
  /** Refuse checkpoint tensors the model does not use (`UNEXPECTED_WEIGHTS`) instead of warning about them. */
  strict?: boolean;
  /** Where load warnings go (unexpected checkpoint tensors, a corrupt cache entry); default `console.warn`. */
  onWarning?: (message: string) => void;
  /**
   * Reuse onnxruntime's optimized graphs from an on-disk cache (written on the first load,
   * keyed by the graphs, the weight files' identity, the options and the versions): `true`
   * for the backend's default directory, or a directory. Backends without a cache ignore it.
   * Default: off.
   */
  sessionCache?: boolean | string;
  /** Called after each phase of the load (config, weights, graph builds, sessions) with its duration. */
  onTiming?: TimingListener;
  /**
   * Let onnxruntime repack the matrix weights for its GEMM when a session opens (its
   * `session.disable_prepacking` config, default on), per graph or for both. Repacking is most of
   * a load's time; without it products of several rows pack their weights on every run instead
   * (encoder about +11%, beam search up to +75%) while one-row decoder steps (greedy, one image)
   * barely change. Off pays for a single short run: `ved caption` on one image (docs/cold-start.md).
   */
  prepackWeights?: boolean | { encoder?: boolean; decoder?: boolean };
  /**
   * onnxruntime's CPU memory arena (its `enableCpuMemArena`), per graph or for both. Default: the
   * runtime's `encoderMemoryArena` and `decoderMemoryArena`, on where it does not say. On Node the
   * decoder's is off (its steps allocate small tensors of a new shape at every step: the bench's peak RSS
   * 100–130 MiB lower at the same speed), and so is the encoder's with `q8` or `q4` weights (the arena kept
   * the largest batch's activations: peak 100–130 MiB lower), docs/bench.md.
   * `sessionOptions.enableCpuMemArena`, when set, applies to both graphs instead.
   */
  memoryArena?: boolean | { encoder?: boolean; decoder?: boolean };
  /**
   * Most images per encoder run (default: the whole batch in one run). A larger batch is then encoded in
   * runs of this many images that write into one set of outputs: onnxruntime's arena holds one run's
   * activations and no copy of the outputs, so memory stops growing with the batch (8 ViT-B/16 images for
   * GPT-2: peak RSS about 120 MiB lower), at some speed (the 8 images' encoder 10% slower in float32 in
   * runs of 1, 60% with `q8`, whose int8 products gain from more rows per run; docs/bench.md). Float32 and
   * float16 outputs are the same as one run's; with `q8` they change slightly (its activations are
   * quantized per run). On runtimes whose sessions cannot fill pre-allocated outputs
   * (`Runtime.encoderOutputsInPlace`: onnxruntime-node has it) the batch runs at once.
   */
  encoderImagesPerRun?: number;
}

class OrtEncodedImages implements EncodedImages {
  constructor(
    readonly batchSize: number,
    readonly lastHiddenState: Tensor,
    readonly crossKeys: Tensor[],
    readonly crossValues: Tensor[],
  ) {}
}

export interface ForwardInputs {
  pixelValues: PixelBatch;
  /** Target ids [B, T]; -100 marks positions ignored by the loss. */
  labels?: readonly (readonly number[])[];
  /** Explicit decoder inputs (otherwise the labels shifted right). */
  decoderInputIds?: readonly (readonly number[])[];
  /** [B, T] padding mask of the decoder inputs (1 = attend). */
  decoderAttentionMask?: readonly (readonly number[])[];
  /** Accept images whose size differs from the config (ViT, DeiT, BEiT). */
  interpolatePosEncoding?: boolean;
}

export interface ForwardOutput {
  /** Token-mean cross-entropy over the batch (present when labels are given). */
  loss?: number;
  logits: StepLogits;
}

/** Float32 bytes read for quantizing between two garbage collections while a model loads. */
const READ_BYTES_PER_COLLECTION = 128 * 2 ** 20;

export class VisionEncoderDecoderModel implements EncoderDecoderLM {
  /** Weights that were created rather than loaded (by `fromConfig` / `fromEncoderDecoderPretrained`). */
  newlyInitialized: string[] = [];
  /** Checkpoint tensors the model does not use (Python's unexpected keys), reported on load. */
  unexpectedWeights: string[] = [];
  /** Set by `dispose()`: every later call is a `DISPOSED` error. */
  private disposing: Promise<void> | undefined;

  private constructor(
    readonly parts: Composition,
    /** The checkpoint's `generation_config.json`, if it has one. */
    readonly generationConfigJson: Record<string, unknown> | undefined,
    /** Every tensor of the model, by checkpoint name (what `savePretrained` writes). */
    readonly weights: TensorSource,
    private readonly runtime: Runtime,
    private readonly encoderSession: InferenceSession,
    private readonly decoderSession: InferenceSession,
    /** The step graph lets rows share cross keys/values (`DecoderStepGraph.sharedCross`). */
    private readonly sharedCross: boolean,
    private readonly loadOptions: LoadOptions,
  ) {}

  /** The encoder graph for images of any size (`interpolatePosEncoding`), built on first use. */
  private dynamicEncoder: Promise<InferenceSession> | undefined;

  get config(): VisionEncoderDecoderConfig {
    return this.parts.config;
  }

  get encoderModelType(): string {
    return this.parts.config.encoderType;
  }

  get decoderModelType(): string {
    return this.parts.config.decoderType;
  }

  get vocabSize(): number {
    return this.parts.decoder.vocabSize(this.parts.decoderConfig);
  }

  /** Tokens the decoder's position table can embed (undefined: any length). */
  get maxPositions(): number | undefined {
    return this.parts.decoder.maxPositions?.(this.parts.decoderConfig);
  }

  private get limits(): DecoderLimits {
    return { vocabSize: this.vocabSize, maxPositions: this.maxPositions, where: this.config.fileName };
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.disposing !== undefined;
  }

  private assertLive(what: string): void {
    if (this.disposing !== undefined) throw disposedError(what);
  }

  /** The `[height, width]` of `pixel_values` the encoder takes. */
  get imageSize(): [number, number] {
    return this.parts.encoder.imageSize(this.parts.encoderConfig);
  }

  /** Loads a checkpoint saved by Python's `save_pretrained` (config.json, generation_config.json, safetensors). */
  static async fromPretrained(files: ModelFiles, runtime: Runtime, options: LoadOptions = {}): Promise<VisionEncoderDecoderModel> {
    const { config, generation } = await timed(options.onTiming, 'config', async () => {
      const raw = await readJson(files, 'config.json');
      if (!isRecord(raw)) throw new VedError('INVALID_CONFIG', `${files.location}/config.json must hold a JSON object.`);
      return {
        config: new VisionEncoderDecoderConfig(raw, `${files.location}/config.json`),
        generation: await readOptionalJson(files, 'generation_config.json'),
      };
    });
    const weights = await timed(options.onTiming, 'weights', () => loadWeights(files));
    return VisionEncoderDecoderModel.fromWeights(config, weights, runtime, {
      ...options,
      generationConfigJson: isRecord(generation) ? generation : undefined,
    });
  }

  /** Builds the graphs of `config` over `weights` and opens their sessions. */
  static async fromWeights(
    config: VisionEncoderDecoderConfig,
    weights: TensorSource,
    runtime: Runtime,
    options: LoadOptions & { generationConfigJson?: Record<string, unknown> } = {},
  ): Promise<VisionEncoderDecoderModel> {
    const parts = await compose(config);
    checkModelSize(parts, runtime.memoryBytes);
    if (runtime.readsFilePaths === false) weights = withoutFilePaths(weights);
    const dtype = options.dtype ?? 'fp32';
    if (!WEIGHT_DTYPES.includes(dtype)) {
      throw new VedError('INVALID_OPTION', `dtype is ${JSON.stringify(dtype)}; expected one of ${WEIGHT_DTYPES.map((d) => JSON.stringify(d)).join(', ')}.`);
    }
    const perRun = options.encoderImagesPerRun;
    if (perRun !== undefined && (!Number.isInteger(perRun) || perRun < 1)) {
      throw new VedError('INVALID_OPTION', `encoderImagesPerRun is ${JSON.stringify(perRun)}; expected a positive integer.`);
    }
    const opened = await VisionEncoderDecoderModel.openGraphs(parts, config, weights, runtime, options, dtype);
    // The weights that went through JavaScript are garbage now (the sessions hold their own copies): free them before the first run.
    if (opened.weightsInMemory && runtime.collectGarbage) {
      // Twice, a task apart: the first collection finds the buffers, the engine returns their memory after it.
      runtime.collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 0));
      runtime.collectGarbage();
    }
    const model = new VisionEncoderDecoderModel(parts, options.generationConfigJson, weights, runtime, opened.encoderSession, opened.decoderSession, opened.sharedCross, {
      ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
      ...(options.sessionCache !== undefined ? { sessionCache: options.sessionCache } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.prepackWeights !== undefined ? { prepackWeights: options.prepackWeights } : {}),
      ...(options.memoryArena !== undefined ? { memoryArena: options.memoryArena } : {}),
      ...(perRun !== undefined ? { encoderImagesPerRun: perRun } : {}),
      dtype,
    });
    model.unexpectedWeights = opened.unexpected;
    return model;
  }

  /** Builds both graphs and opens their sessions; nothing built outlives it but the sessions. */
  private static async openGraphs(
    parts: Composition,
    config: VisionEncoderDecoderConfig,
    weights: TensorSource,
    runtime: Runtime,
    options: LoadOptions,
    dtype: WeightDtype,
  ): Promise<{ encoderSession: InferenceSession; decoderSession: InferenceSession; sharedCross: boolean; unexpected: string[]; weightsInMemory: boolean }> {
    // Quantizing reads each float32 weight once and keeps only its quantized form: collect the reads as they pile up,
    // which the JavaScript engine would otherwise keep until after the sessions open (ViT-B/16 + GPT-2: ~900 MiB).
    let readSinceCollection = 0;
    const binder = new WeightBinder(
      weights,
      dtype === 'fp32' || runtime.collectGarbage === undefined
        ? undefined
        : (bytes) => {
            readSinceCollection += bytes;
            if (readSinceCollection < READ_BYTES_PER_COLLECTION) return;
            readSinceCollection = 0;
            runtime.collectGarbage!();
          },
    );
    const onTiming = options.onTiming;
    // Weights computed here go to a file onnxruntime reads (not into the serialised graphs), where the runtime has
    // files: one per graph, so that each session's cache key reads only its own.
    const spills = [runtime.createWeightSpill?.(), runtime.createWeightSpill?.()] as const;
    try {
      const encoderBytes = timedSync(onTiming, 'build encoder', () => buildEncoderGraph(parts, binder, {}, dtype, spills[0], runtimeLayout(runtime)));
      const decoderBytes = timedSync(onTiming, 'build decoder', () => buildDecoderGraph(parts, binder, dtype, spills[1], runtimeLayout(runtime)));
      const failed = spills.find((s) => s?.error !== undefined)?.error;
      if (failed !== undefined) (options.onWarning ?? ((m: string) => console.warn(m)))(`ved: ${failed}; the computed weights stay in memory, which takes more while loading.`);
      const unused = binder.unused();
      const unexpected = reportUnexpectedWeights(parts, unused, unused[0] === undefined ? config.fileName : weights.sourceOf(unused[0]), options);
      // One after the other: onnxruntime-node opens a session synchronously on the JavaScript
      // thread, so starting both together overlaps nothing (measured), and each phase's time is its own.
      const encoderSession = await openSession(runtime, encoderBytes, 'encoder', 'encoder', options);
      let decoderSession: InferenceSession;
      try {
        decoderSession = await openSession(runtime, decoderBytes, 'decoder', 'decoder', options);
      } catch (err) {
        await encoderSession.release();
        throw err;
      }
      const spilled = spills.some((s) => (s?.bytesWritten ?? 0) > 0);
      const weightsInMemory = dtype !== 'fp32' || encoderBytes.externalData.length > 0 || decoderBytes.externalData.length > 0 || spilled;
      return { encoderSession, decoderSession, sharedCross: decoderBytes.sharedCross, unexpected, weightsInMemory };
    } finally {
      for (const spill of spills) spill?.dispose();
    }
  }

  /**
   * Runs the encoder once: hidden states and every decoder layer's cross
   * keys/values. `interpolatePosEncoding` accepts images of another size than
   * the config's (ViT, DeiT, BEiT), as Python's forward option does.
   */
  async encode(pixelValues: PixelBatch, options: EncodeOptions = {}): Promise<OrtEncodedImages> {
    this.assertLive('encode()');
    const [batch, channels, height, width] = pixelValues.dims;
    const [h, w] = this.imageSize;
    const c = this.parts.encoder.numChannels(this.parts.encoderConfig);
    const otherSize = height !== h || width !== w;
    // Python's DINOv2 interpolates on every forward (EncoderPlugin.interpolatesAlways); the config's
    // size runs the fixed-size graph, which gives the same result.
    const interpolate = options.interpolatePosEncoding === true || (otherSize && this.parts.encoder.interpolatesAlways === true);
    if (channels !== c || (!interpolate && otherSize)) {
      throw new VedError(
        'INVALID_INPUT',
        `pixel_values has shape [${pixelValues.dims.join(', ')}], but the ${this.config.encoderType} encoder expects [batch, ${c}, ${h}, ${w}]` +
          (channels === c ? ' (pass interpolatePosEncoding: true for other image sizes).' : '.'),
      );
    }
    if (pixelValues.data.length !== batch * channels * height * width) {
      throw new VedError('INVALID_INPUT', `pixel_values holds ${pixelValues.data.length} values, expected ${batch * channels * height * width}.`);
    }
    const session = interpolate ? await this.encoderForAnySize() : this.encoderSession;
    let out: Awaited<ReturnType<InferenceSession['run']>>;
    try {
      out = await this.runEncoder(session, pixelValues);
    } catch (cause) {
      if (this.disposed) throw disposedError('encode()'); // disposed while the encoder ran
      throw cause;
    }
    const { layers } = this.parts.decoder.cacheLayout(this.parts.decoderConfig);
    const keys: Tensor[] = [];
    const values: Tensor[] = [];
    for (let i = 0; i < layers; i++) {
      keys.push(out[crossKeyName(i)]!);
      values.push(out[crossValueName(i)]!);
    }
    return new OrtEncodedImages(batch, out.last_hidden_state!, keys, values);
  }

  /**
   * The encoder over the batch: one run, or, with `encoderImagesPerRun` below the batch size on a runtime
   * that fills pre-allocated outputs (`Runtime.encoderOutputsInPlace`) and a graph whose outputs have known
   * shapes after the batch, runs of that many images that onnxruntime writes into the batch's outputs,
   * allocated here once. Its arena then holds one run's activations and none of the outputs.
   */
  private async runEncoder(session: InferenceSession, pixelValues: PixelBatch): Promise<Record<string, Tensor>> {
    const [batch, ...image] = pixelValues.dims;
    const size = image.reduce((a, b) => a * b, 1);
    const feed = (start: number, n: number) => ({
      pixel_values: this.runtime.tensor('float32', pixelValues.data.subarray(start * size, (start + n) * size), [n, ...image]),
    });
    this.runtime.reclaimOutputs?.();
    const perRun = this.loadOptions.encoderImagesPerRun;
    const shapes = perRun !== undefined && batch > perRun && this.runtime.encoderOutputsInPlace === true ? batchMajorOutputs(session) : undefined;
    if (perRun === undefined || shapes === undefined) return session.run(feed(0, batch));
    const outputs: Record<string, Tensor> = {};
    for (const { name, type, dims } of shapes) {
      const n = batch * dims.reduce((a, b) => a * b, 1);
      outputs[name] = this.runtime.tensor(type, type === 'float32' ? new Float32Array(n) : new Uint16Array(n), [batch, ...dims]);
    }
    for (let start = 0; start < batch; start += perRun) {
      const n = Math.min(perRun, batch - start);
      const fetches: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(outputs)) {
        const per = t.data.length / batch;
        fetches[name] = this.runtime.tensor(t.type as TensorType, (t.data as TensorData).subarray(start * per, (start + n) * per), [n, ...t.dims.slice(1)]);
      }
      await session.run(feed(start, n), fetches);
    }
    return outputs;
  }

  private encoderForAnySize(): Promise<InferenceSession> {
    if (this.dynamicEncoder === undefined) {
      const building = (async () => {
        const built = buildEncoderGraph(this.parts, new WeightBinder(this.weights), { interpolatePosEncoding: true }, this.loadOptions.dtype ?? 'fp32', undefined, runtimeLayout(this.runtime));
        return openSession(this.runtime, built, 'encoder (any size)', 'encoder', this.loadOptions);
      })();
      this.dynamicEncoder = building;
      // A build that fails (a config that cannot interpolate) is not kept: the caller gets its error, the
      // next call tries again, and dispose() has nothing to release.
      building.catch(() => {
        if (this.dynamicEncoder === building) this.dynamicEncoder = undefined;
      });
    }
    return this.dynamicEncoder;
  }

  startDecoding(encoded: EncodedImages, rowToImage: readonly number[]): DecodingSession {
    this.assertLive('startDecoding()');
    if (!(encoded instanceof OrtEncodedImages)) throw new VedError('INVALID_INPUT', 'startDecoding needs the result of this model\'s encode().');
    for (const r of rowToImage) {
      if (!Number.isInteger(r) || r < 0 || r >= encoded.batchSize) {
        throw new VedError('INVALID_INPUT', `Row maps to image ${r}, but only ${encoded.batchSize} images were encoded.`);
      }
    }
    return new OrtDecodingSession(
      this.runtime,
      this.decoderSession,
      this.parts.decoder.cacheLayout(this.parts.decoderConfig),
      { keys: encoded.crossKeys, values: encoded.crossValues, shared: this.sharedCross },
      [...rowToImage],
      { limits: this.limits, isDisposed: () => this.disposed },
    );
  }

  /**
   * Continuous batching: a session whose rows join, leave and follow beams
   * between steps, rows of different lengths in one step. Undefined when the
   * decoder's positions do not come from core's position helpers (its step
   * graph then has no per-row `past_lengths` input).
   */
  startRowBatch(): RowBatchSession | undefined {
    if (!this.decoderSession.inputNames.includes(PAST_LENGTHS)) return undefined;
    return new OrtRowBatchSession(
      this.runtime,
      this.decoderSession,
      this.parts.decoder.cacheLayout(this.parts.decoderConfig),
      (encoded) => (encoded instanceof OrtEncodedImages ? { keys: encoded.crossKeys, values: encoded.crossValues } : undefined),
      undefined,
      this.limits,
    );
  }

  /** Teacher-forced logits [B, T, V] for `decoderInputIds` (one pass, empty cache). */
  async logits(
    pixelValues: PixelBatch,
    decoderInputIds: readonly (readonly number[])[],
    attentionMask?: readonly (readonly number[])[],
    options: EncodeOptions = {},
  ): Promise<StepLogits> {
    const encoded = await this.encode(pixelValues, options);
    const session = this.startDecoding(encoded, decoderInputIds.map((_, i) => i));
    try {
      return await session.step(decoderInputIds, { allPositions: true, ...(attentionMask ? { attentionMask } : {}) });
    } finally {
      session.dispose();
    }
  }

  /**
   * `forward(pixel_values, labels=…)`: logits [B, T, V] and, with labels, the
   * loss. Decoder inputs default to the labels shifted right with the
   * top-level `decoder_start_token_id`, -100 replaced by `pad_token_id`.
   */
  async forward(inputs: ForwardInputs): Promise<ForwardOutput> {
    this.assertLive('forward()');
    // Python: an id past the vocabulary (or negative) crashes the embedding or `cross_entropy` with IndexError.
    if (inputs.labels !== undefined) checkLabels(inputs.labels, this.limits);
    let decoderInputIds = inputs.decoderInputIds;
    if (decoderInputIds === undefined) {
      if (inputs.labels === undefined) throw new VedError('INVALID_INPUT', 'forward() needs labels or decoderInputIds.');
      const top = this.config.raw;
      for (const key of ['decoder_start_token_id', 'pad_token_id'] as const) {
        if (typeof top[key] !== 'number') {
          throw new VedError(
            'INVALID_CONFIG',
            `${this.config.fileName}: the top-level "${key}" is not set; it is needed to shift the labels into decoder inputs (set it on the VisionEncoderDecoder config, not only in generation_config.json).`,
          );
        }
      }
      decoderInputIds = shiftTokensRight(inputs.labels, top.pad_token_id as number, top.decoder_start_token_id as number);
    }
    if (decoderInputIds.length !== inputs.pixelValues.dims[0]) {
      throw new VedError('INVALID_INPUT', `Got ${decoderInputIds.length} label rows for ${inputs.pixelValues.dims[0]} images.`);
    }
    const logits = await this.logits(inputs.pixelValues, decoderInputIds, inputs.decoderAttentionMask, {
      ...(inputs.interpolatePosEncoding ? { interpolatePosEncoding: true } : {}),
    });
    return inputs.labels === undefined ? { logits } : { loss: crossEntropyLoss(logits, inputs.labels), logits };
  }

  /** The files `save_pretrained` writes (config, generation config, safetensors), ready for a backend to store. */
  serialize(options: SaveOptions = {}): SavedFile[] {
    return serializePretrained(this.parts, this.weights, this.generationConfigJson, options);
  }

  /** A model from a config with freshly initialised weights, reproducible for `seed`. */
  static async fromConfig(config: VisionEncoderDecoderConfig, runtime: Runtime, options: LoadOptions & { seed?: number } = {}): Promise<VisionEncoderDecoderModel> {
    const parts = await compose(config);
    checkModelSize(parts, runtime.memoryBytes);
    const specs = modelWeightSpecs(parts);
    const weights = initializeWeights(specs, '', new SeededRandom(options.seed ?? 0));
    const model = await VisionEncoderDecoderModel.fromWeights(config, weights, runtime, options);
    model.newlyInitialized = specs.map((s) => s.name);
    return model;
  }

  /**
   * Composes a model from a pretrained encoder checkpoint and a pretrained
   * decoder checkpoint (Python's `from_encoder_decoder_pretrained`). Weights
   * missing from both (cross-attention, new heads) are initialised and listed
   * in `newlyInitialized` and in one warning.
   */
  static async fromEncoderDecoderPretrained(
    encoder: ModelFiles,
    decoder: ModelFiles,
    runtime: Runtime,
    options: ComposeOptions & LoadOptions = {},
  ): Promise<VisionEncoderDecoderModel> {
    const composed = await composeFromPretrained(encoder, decoder, { ...(runtime.memoryBytes !== undefined ? { memoryBytes: runtime.memoryBytes } : {}), ...options });
    const model = await VisionEncoderDecoderModel.fromWeights(composed.config, composed.weights, runtime, options);
    model.newlyInitialized = composed.newlyInitialized;
    return model;
  }

  /** Releases the sessions. Idempotent; any later call on the model or its decoding sessions is a `DISPOSED` error. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      const dynamic = this.dynamicEncoder;
      await Promise.all([this.encoderSession.release(), this.decoderSession.release(), dynamic?.then((s) => s.release(), () => undefined)]);
    })();
    return this.disposing;
  }
}

/** Opens one graph's session, through the backend's cache when `options.sessionCache` asks, timed as `session <label>`. */
async function openSession(runtime: Runtime, built: BuiltModel, label: string, graph: 'encoder' | 'decoder', options: LoadOptions): Promise<InferenceSession> {
  const timer = sessionTimer(options.onTiming, `session ${label}`);
  const session = await createSession(runtime, built, graphSessionOptions(options, graph, runtime), {
    label,
    ...(options.sessionCache !== undefined ? { cache: options.sessionCache } : {}),
    onCache: timer.status,
    onWarning: options.onWarning ?? ((m) => console.warn(m)),
  });
  timer.done();
  return session;
}

/** How the runtime wants the graphs laid out. */
function runtimeLayout(runtime: Runtime): BuildLayout {
  return runtime.linearAsMatMul ? { linearAsMatMul: true } : {};
}

/** The session's outputs, when each is a float tensor whose shape is known after its first (batch) dimension. */
function batchMajorOutputs(session: InferenceSession): Array<{ name: string; type: 'float32' | 'float16'; dims: number[] }> | undefined {
  const metadata = session.outputMetadata as readonly InferenceSession.ValueMetadata[] | undefined;
  if (metadata === undefined || metadata.length !== session.outputNames.length) return undefined;
  const outputs: Array<{ name: string; type: 'float32' | 'float16'; dims: number[] }> = [];
  for (const m of metadata) {
    if (!m.isTensor || (m.type !== 'float32' && m.type !== 'float16') || typeof m.shape[0] !== 'string') return undefined;
    const dims = m.shape.slice(1);
    if (!dims.every((d): d is number => typeof d === 'number')) return undefined;
    outputs.push({ name: m.name, type: m.type, dims });
  }
  return outputs;
}

/** Which of a per-graph option (`prepackWeights`, `memoryArena`) applies to `graph`. */
function perGraph(option: boolean | { encoder?: boolean; decoder?: boolean } | undefined, graph: 'encoder' | 'decoder'): boolean | undefined {
  return typeof option === 'object' ? option[graph] : option;
}

/** The session options of one graph: weight prepacking (`prepackWeights`) and the memory arena (`memoryArena`). */
function graphSessionOptions(options: LoadOptions, graph: 'encoder' | 'decoder', runtime: Runtime): InferenceSession.SessionOptions {
  const sessionOptions: InferenceSession.SessionOptions = { ...options.sessionOptions };
  const byRuntime = graph === 'encoder' ? runtime.encoderMemoryArena : runtime.decoderMemoryArena;
  const arena =
    perGraph(options.memoryArena, graph) ??
    sessionOptions.enableCpuMemArena ??
    (typeof byRuntime === 'object' ? byRuntime[options.dtype ?? 'fp32'] : byRuntime) ??
    true;
  sessionOptions.enableCpuMemArena = arena;
  if (perGraph(options.prepackWeights, graph) ?? true) return sessionOptions;
  const extra = (sessionOptions.extra ?? {}) as Record<string, unknown>;
  const session = typeof extra.session === 'object' && extra.session !== null ? (extra.session as Record<string, unknown>) : {};
  return { ...sessionOptions, extra: { ...extra, session: { ...session, disable_prepacking: '1' } } };
}
