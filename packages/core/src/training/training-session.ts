/**
 * `TrainingSession`: forward and backward passes of a composed model for
 * fine-tuning (the optimizer, schedules and the loop live in @ved/training).
 * It builds one training graph (training-graph.ts) whose inputs are the batch
 * and the trained weights, and whose outputs are the loss and the gradient of
 * every trained weight, exactly what `loss.backward()` leaves in `.grad` after
 * `VisionEncoderDecoderModel(pixel_values=…, labels=…).loss` in PyTorch.
 *
 * The trained weights live in `parameters` (float32 arrays owned by the
 * session): an optimizer updates them in place and the next step feeds them
 * as they are.
 */
import { VedError } from '../errors.js';
import type { InferenceSession, Runtime, Tensor } from '../runtime.js';
import { VisionEncoderDecoderModel } from '../model/vision-encoder-decoder-model.js';
import { createSession } from '../model/run-graphs.js';
import { disposedError } from '../model/decoder-limits.js';
import { WeightBinder } from '../weights/weight-binder.js';
import { InMemoryTensors, TensorUnion } from '../weights/in-memory-tensors.js';
import { SeededRandom } from '../random/seeded-random.js';
import { DROPOUT_KEYS } from './dropout-masks.js';
import { batchFeeds, type BatchShape, type TrainingBatch } from './training-batch.js';
import { DECODER_INPUT_IDS, LABELS, LOSS, PIXEL_VALUES, buildTrainingGraph, gradName, type TrainingGraph } from './training-graph.js';

export type { TrainingBatch } from './training-batch.js';

export interface TrainingGraphOptions {
  /** Full checkpoint names of the weights to train (default: all). Frozen weights get no gradient. */
  trainable?: (name: string) => boolean;
  /** Dropout as in train mode (default true); false = eval-mode forward (dropout off). */
  dropout?: boolean;
  /** Seed of ved's generator for dropout masks (default 0). */
  seed?: number;
  /** Options of the onnxruntime sessions. */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * HF Trainer's `label_smoothing_factor` in [0, 1] (default 0): `step()` and `loss()` return (and
   * differentiate) `LabelSmoother`'s loss instead of the model's cross-entropy (see `TrainingGraphSpec`).
   */
  labelSmoothing?: number;
}

export interface TrainingStepOptions {
  /**
   * Draw this step's dropout masks from its position in the run — the
   * optimizer step (0-based or 1-based, as long as the caller is consistent)
   * and `microBatch` — with the session's `seed`, instead of from the
   * session's running generator: a run resumed at step k then draws the masks
   * an uninterrupted run draws there. Ignored when dropout is off.
   */
  dropoutStep?: number;
  /** The micro-batch within the optimizer step (gradient accumulation), with `dropoutStep` (default 0). */
  microBatch?: number;
}

export interface TrainingStepResult {
  /** Mean cross-entropy over the non-ignored labels of this batch. */
  loss: number;
  /** Count of non-ignored labels. */
  tokens: number;
  /** Gradients by full checkpoint name, same keys as `parameters`. */
  grads: Map<string, Float32Array>;
}

export class TrainingSession {
  /** Trained weights by full checkpoint name. The optimizer updates these arrays in place; the next step uses them. */
  readonly parameters: Map<string, Float32Array>;
  private evalSession: Promise<{ session: InferenceSession; graph: TrainingGraph }> | undefined;
  private disposed = false;

  private constructor(
    private readonly model: VisionEncoderDecoderModel,
    private readonly runtime: Runtime,
    private readonly options: TrainingGraphOptions,
    private readonly graph: TrainingGraph,
    private readonly session: InferenceSession,
    private readonly shapes: Map<string, number[]>,
    parameters: Map<string, Float32Array>,
    private readonly rng: SeededRandom,
  ) {
    this.parameters = parameters;
  }

  static async create(model: VisionEncoderDecoderModel, runtime: Runtime, options: TrainingGraphOptions = {}): Promise<TrainingSession> {
    const binder = new WeightBinder(model.weights);
    const trainable = options.trainable ?? (() => true);
    const labelSmoothing = options.labelSmoothing ?? 0;
    if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new VedError('INVALID_OPTION', `labelSmoothing is ${JSON.stringify(options.labelSmoothing)}; expected a number in [0, 1] (label_smoothing_factor).`);
    }
    const graph = buildTrainingGraph(model.parts, binder, { trainable, dropout: options.dropout ?? true, backward: true, labelSmoothing });
    const parameters = new Map<string, Float32Array>();
    const shapes = new Map<string, number[]>();
    for (const { name, shape } of graph.parameters) {
      const dtype = model.weights.info(name).dtype;
      if (dtype !== 'F32') {
        throw new VedError(
          'UNSUPPORTED_DTYPE',
          `Weight "${name}" is stored as ${dtype} in ${model.weights.sourceOf(name)}; training needs float32 (F32) weights. ` +
            'Freeze it with the "trainable" option or convert the checkpoint to float32.',
        );
      }
      // A copy the session owns (the source may share memory with the loaded file).
      parameters.set(name, Float32Array.from(model.weights.getFloat32(name)));
      shapes.set(name, shape);
    }
    const session = await createSession(runtime, graph.built, trainingSessionOptions(options.sessionOptions));
    return new TrainingSession(model, runtime, options, graph, session, shapes, parameters, new SeededRandom(options.seed ?? 0));
  }

  private get batchShape(): BatchShape {
    const { parts } = this.model;
    return {
      channels: parts.encoder.numChannels(parts.encoderConfig),
      imageSize: parts.encoder.imageSize(parts.encoderConfig),
      vocab: parts.decoder.vocabSize(parts.decoderConfig),
      maxPositions: parts.decoder.maxPositions?.(parts.decoderConfig),
      config: parts.config.raw,
      configFile: parts.config.fileName,
    };
  }

  private feeds(batch: TrainingBatch, graph: TrainingGraph, options: TrainingStepOptions = {}): { feeds: Record<string, Tensor>; tokens: number } {
    if (this.disposed) throw disposedError('TrainingSession.step() / loss()');
    const b = batchFeeds(this.runtime, batch, this.batchShape);
    const feeds: Record<string, Tensor> = { [PIXEL_VALUES]: b.pixelValues, [DECODER_INPUT_IDS]: b.decoderInputIds, [LABELS]: b.labels };
    for (const { name } of graph.parameters) {
      const data = this.parameters.get(name)!;
      const shape = this.shapes.get(name)!;
      if (data.length !== shape.reduce((a, c) => a * c, 1)) {
        throw new VedError('INVALID_INPUT', `parameters.get("${name}") holds ${data.length} values, expected ${shape.reduce((a, c) => a * c, 1)} (shape [${shape.join(', ')}]); update it in place.`);
      }
      feeds[name] = this.runtime.tensor('float32', data, shape);
    }
    if (graph.dropout !== undefined) {
      const keys =
        options.dropoutStep !== undefined
          ? graph.dropout.drawAt(this.options.seed ?? 0, options.dropoutStep, options.microBatch ?? 0)
          : graph.dropout.draw(this.rng);
      feeds[DROPOUT_KEYS] = this.runtime.tensor('int64', keys, [graph.dropout.sites]);
    }
    return { feeds, tokens: b.tokens };
  }

  /** Forward and backward on one batch (train-mode dropout unless turned off); the parameters are not updated. */
  async step(batch: TrainingBatch, options: TrainingStepOptions = {}): Promise<TrainingStepResult> {
    const { feeds, tokens } = this.feeds(batch, this.graph, options);
    const out = await this.session.run(feeds);
    const grads = new Map<string, Float32Array>();
    for (const { name } of this.graph.parameters) grads.set(name, out[gradName(name)]!.data as Float32Array);
    return { loss: (out[LOSS]!.data as Float32Array)[0]!, tokens, grads };
  }

  /** The loss of one batch, forward only, in eval mode (no dropout). */
  async loss(batch: TrainingBatch): Promise<{ loss: number; tokens: number }> {
    if (this.evalSession === undefined) {
      const building = (async () => {
        const graph = buildTrainingGraph(this.model.parts, new WeightBinder(this.model.weights), {
          trainable: (name) => this.parameters.has(name),
          dropout: false,
          backward: false,
          labelSmoothing: this.options.labelSmoothing ?? 0,
        });
        return { session: await createSession(this.runtime, graph.built, trainingSessionOptions(this.options.sessionOptions)), graph };
      })();
      this.evalSession = building;
      // A failed build is not kept (the next call tries again; dispose() has nothing to release).
      building.catch(() => {
        if (this.evalSession === building) this.evalSession = undefined;
      });
    }
    const { session, graph } = await this.evalSession;
    const { feeds, tokens } = this.feeds(batch, graph);
    const out = await session.run(feeds, [LOSS]);
    return { loss: (out[LOSS]!.data as Float32Array)[0]!, tokens };
  }

  /** A model holding the current parameter values (copied): generate with it, or `savePretrained` it. */
  async toModel(): Promise<VisionEncoderDecoderModel> {
    const current = new InMemoryTensors('the trained parameters');
    for (const [name, data] of this.parameters) current.set(name, this.shapes.get(name)!, Float32Array.from(data));
    const weights = new TensorUnion([
      { source: current, from: '', to: '' },
      { source: this.model.weights, from: '', to: '' },
    ]);
    const generationConfigJson = this.model.generationConfigJson;
    return VisionEncoderDecoderModel.fromWeights(this.model.config, weights, this.runtime, {
      ...(generationConfigJson ? { generationConfigJson } : {}),
      ...(this.options.sessionOptions ? { sessionOptions: this.options.sessionOptions } : {}),
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const evalSession = this.evalSession;
    await Promise.all([this.session.release(), evalSession?.then((e) => e.session.release(), () => undefined)]);
  }
}

/**
 * onnxruntime options of the training sessions: the caller's, with the memory
 * pattern off unless the caller sets `enableMemPattern`. With the pattern on,
 * onnxruntime plans one block for all of a run's intermediate values after the
 * first run of a shape and allocates it, from the second run on, from its CPU
 * arena beside the chunks the first run left there (the arena keeps what it
 * allocated), so the activations are held twice. Measured on the 2-core
 * machine, DeiT-small + TrOCR-small, batch 8, steps 2–3 of 3, runs alternated
 * in two sets: peak RSS 6472 MiB with the pattern, 4258 without; step times
 * 17.7–21.0 vs 24.5–26.5 s in the first set, 23.8–33.4 vs 24.9–26.8 s in the
 * second (the machine was shared: no speed difference beyond its noise). Arena
 * off instead: 5211 MiB with the pattern, 4900 without, and slower.
 */
function trainingSessionOptions(options: InferenceSession.SessionOptions | undefined): InferenceSession.SessionOptions {
  return { enableMemPattern: false, ...options };
}
