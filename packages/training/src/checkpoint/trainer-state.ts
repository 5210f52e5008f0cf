/**
 * The Trainer's own state beside a checkpoint, for an exact resume:
 *
 * - `trainer_state.json`: HF Trainer's file (`TrainerState.save_to_json` in
 *   transformers/trainer_callback.py: `global_step`, `epoch`, `max_steps`,
 *   `num_train_epochs`, `train_batch_size`, `log_history`, …) plus a `ved`
 *   object with what an exact resume needs and checks: the data order (seed,
 *   shuffle, batch size, accumulation, example count), the optimizer, a
 *   fingerprint of the model's architecture and a checksum of the weights the
 *   state belongs to; with a best model tracked (`metricForBestModel`), HF's
 *   `best_metric` and `best_global_step`, `EarlyStoppingCallback`'s counter
 *   under `stateful_callbacks`, and the best saved update with its weights'
 *   checksum;
 * - `best_model.safetensors` (ved's): the trainable weights of the best saved
 *   update when they are not the checkpoint's own (Python keeps that update's
 *   checkpoint folder instead);
 * - `optimizer.safetensors`: the optimizer's buffers (`<parameter>.exp_avg`,
 *   `<parameter>.exp_avg_sq` for AdamW, `<parameter>.momentum_buffer` for
 *   SGD, `<parameter>.exp_avg_sq_row` / `_col` or `.exp_avg_sq` for Adafactor) in float32, with `optimizer` and `step` in the header's metadata.
 *   (Python keeps a pickled `optimizer.pt`; ved writes no pickles.)
 */
import { VedError, parseSafetensors, partsFile, safetensorsParts, type SavedFile, type TensorSource } from '@ved/core';
import type { OptimizerName, OptimizerState } from '../optim/optimizer.js';
import type { PlateauState } from '../schedule/lr-schedule.js';

export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const BEST_MODEL_FILE = 'best_model.safetensors';

/** One `log_history` entry, with Python's keys. */
export interface LogEntry {
  step: number;
  epoch: number;
  loss?: number;
  learning_rate?: number;
  grad_norm?: number;
  eval_loss?: number;
  eval_exact_match?: number;
  eval_cer?: number;
  eval_wer?: number;
  [key: string]: number | undefined;
}

export interface TrainerState {
  globalStep: number;
  epoch: number;
  maxSteps: number;
  numTrainEpochs: number;
  trainBatchSize: number;
  logHistory: LogEntry[];
  /** What the resume checks. */
  run: RunIdentity;
  /** `reduce_lr_on_plateau`'s or `greedy`'s counters (their rate follows evaluations, not the step count). */
  lrScheduler?: PlateauState;
  /** The best model so far, when `metricForBestModel` is set. */
  best?: BestModelState;
  /** Saved while the last update's evaluation ran (Ctrl-C): a resumed run evaluates that update first. */
  afterUpdatePending?: boolean;
  /** `logging_steps` in updates (ved's default 1). */
  loggingSteps?: number;
  /**
   * With the length-grouped order: the evaluation and `predict` iterators that have drawn from torch's global
   * generator, in all and when each epoch began (what Python's `rng_state.pth` carries for that order).
   */
  loaderDraws?: { total: number; epochStarts: number[] };
}

export interface BestModelState {
  /** `eval_loss`, `eval_exact_match`, `eval_cer`, `eval_wer` or one of computeMetrics. */
  metricName: string;
  /** `greater_is_better` of the run (absent in a state written before ved recorded it). */
  greaterIsBetter?: boolean;
  metric: number | undefined;
  globalStep: number | undefined;
  /** The best saved update (HF's `best_model_checkpoint`) and the checksum of its trainable weights. */
  modelStep: number | undefined;
  weightsChecksum: string | undefined;
  /**
   * `globalStep` was saved but is not yet `modelStep` (mixed strategies: an "epoch" evaluation found it after its
   * "steps" checkpoint; Python names it the best checkpoint at the next save).
   */
  globalStepSaved?: boolean;
  /** `EarlyStoppingCallback`'s arguments and counter, with early stopping. */
  earlyStopping?: { patience: number; threshold: number; counter: number };
}

/** What must match for a run to continue exactly where a checkpoint left it. */
export interface RunIdentity {
  modelFingerprint: string;
  weightsChecksum: string;
  optimizer: OptimizerName;
  seed: number;
  shuffle: boolean;
  /**
   * With `shuffle`: the seed of the data order (`data_seed`, else `seed`) and how the order is drawn — "torch": HF
   * Trainer's `torch.randperm` (absent in checkpoints of an earlier ved, whose shuffled order differs);
   * "length_grouped": `trainSamplingStrategy` "group_by_length" (torch's global generator, seeded with `seed`; the
   * data seed draws the evaluation sets' order).
   */
  dataSeed?: number;
  dataOrder?: 'torch' | 'length_grouped';
  gradientAccumulationSteps: number;
  examples: number;
  trainable: number;
}

export function trainerStateJson(state: TrainerState): string {
  const best = state.best;
  const json = {
    best_global_step: best?.globalStep ?? null,
    best_metric: best?.metric ?? null,
    // A folder in Python (output_dir/checkpoint-N); ved keeps one checkpoint folder: the update is ved.best_model_step.
    best_model_checkpoint: null,
    epoch: state.epoch,
    global_step: state.globalStep,
    is_hyper_param_search: false,
    is_local_process_zero: true,
    is_world_process_zero: true,
    log_history: state.logHistory,
    logging_steps: state.loggingSteps ?? 1,
    max_steps: state.maxSteps,
    num_train_epochs: state.numTrainEpochs,
    total_flos: 0,
    train_batch_size: state.trainBatchSize,
    trial_name: null,
    trial_params: null,
    ...(best?.earlyStopping !== undefined
      ? {
          stateful_callbacks: {
            EarlyStoppingCallback: {
              args: { early_stopping_patience: best.earlyStopping.patience, early_stopping_threshold: best.earlyStopping.threshold },
              attributes: { early_stopping_patience_counter: best.earlyStopping.counter },
            },
          },
        }
      : {}),
    ved: {
      model_fingerprint: state.run.modelFingerprint,
      weights_checksum: state.run.weightsChecksum,
      optimizer: state.run.optimizer,
      seed: state.run.seed,
      shuffle: state.run.shuffle,
      ...(state.run.dataSeed !== undefined ? { data_seed: state.run.dataSeed } : {}),
      ...(state.run.dataOrder !== undefined ? { data_order: state.run.dataOrder } : {}),
      ...(state.loaderDraws !== undefined ? { loader_draws: { total: state.loaderDraws.total, epoch_starts: state.loaderDraws.epochStarts } } : {}),
      gradient_accumulation_steps: state.run.gradientAccumulationSteps,
      examples: state.run.examples,
      trainable_parameters: state.run.trainable,
      ...(state.lrScheduler !== undefined
        ? {
            lr_scheduler: {
              lr: state.lrScheduler.lr,
              // JSON has no Infinity: the best metric before any evaluation is written as null.
              best: Number.isFinite(state.lrScheduler.best) ? state.lrScheduler.best : null,
              num_bad_epochs: state.lrScheduler.numBadEpochs,
              cooldown_counter: state.lrScheduler.cooldownCounter,
              ...(state.lrScheduler.greedy !== undefined
                ? {
                    num_good_epochs: state.lrScheduler.greedy.numGoodEpochs,
                    warmup_counter: state.lrScheduler.greedy.warmupCounter,
                    reset_start: state.lrScheduler.greedy.resetStart,
                    window: state.lrScheduler.greedy.window,
                    window_sum: state.lrScheduler.greedy.windowSum,
                  }
                : {}),
            },
          }
        : {}),
      ...(best !== undefined
        ? {
            metric_for_best_model: best.metricName,
            ...(best.greaterIsBetter !== undefined ? { greater_is_better: best.greaterIsBetter } : {}),
            best_model_step: best.modelStep ?? null,
            best_weights_checksum: best.weightsChecksum ?? null,
            ...(best.globalStepSaved ? { best_global_step_saved: true } : {}),
          }
        : {}),
      ...(state.afterUpdatePending ? { evaluation_pending: true } : {}),

    },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export function parseTrainerState(text: string, where: string): TrainerState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new VedError('INVALID_JSON', `${where} is not valid JSON (${(cause as Error).message}).`, { cause });
  }
  const obj = json as Record<string, unknown>;
  const ved = obj?.ved as Record<string, unknown> | undefined;
  if (typeof obj !== 'object' || obj === null || typeof ved !== 'object' || ved === null) {
    throw new VedError('INVALID_INPUT', `${where} has no "ved" section: it was not written by ved's Trainer, so the run cannot be resumed exactly from it.`);
  }
  const int = (o: Record<string, unknown>, key: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new VedError('INVALID_INPUT', `${where}: "${key}" is ${JSON.stringify(v)}, expected a non-negative integer.`);
    return v;
  };
  const str = (o: Record<string, unknown>, key: string): string => {
    const v = o[key];
    if (typeof v !== 'string') throw new VedError('INVALID_INPUT', `${where}: "${key}" is ${JSON.stringify(v)}, expected a string.`);
    return v;
  };
  const optimizer = str(ved, 'optimizer');
  if (!isOptimizerName(optimizer)) throw new VedError('INVALID_INPUT', `${where}: unknown optimizer ${JSON.stringify(optimizer)}.`);
  if (typeof ved.shuffle !== 'boolean') throw new VedError('INVALID_INPUT', `${where}: "shuffle" must be true or false.`);
  const history = Array.isArray(obj.log_history) ? (obj.log_history as LogEntry[]) : [];
  const sched = ved.lr_scheduler as Record<string, unknown> | undefined;
  let lrScheduler: TrainerState['lrScheduler'];
  if (sched !== undefined) {
    if (typeof sched !== 'object' || sched === null || typeof sched.lr !== 'number' || (sched.best !== null && typeof sched.best !== 'number')) {
      throw new VedError('INVALID_INPUT', `${where}: "lr_scheduler" must hold "lr", "best", "num_bad_epochs" and "cooldown_counter".`);
    }
    lrScheduler = { lr: sched.lr, best: sched.best === null ? Number.NaN : (sched.best as number), numBadEpochs: int(sched, 'num_bad_epochs'), cooldownCounter: int(sched, 'cooldown_counter') };
    if (sched.num_good_epochs !== undefined) {
      const window = sched.window;
      if (!Array.isArray(window) || window.some((v) => typeof v !== 'number') || typeof sched.window_sum !== 'number' || typeof sched.reset_start !== 'number') {
        throw new VedError('INVALID_INPUT', `${where}: a greedy "lr_scheduler" must hold "num_good_epochs", "warmup_counter", "reset_start", "window" (numbers) and "window_sum".`);
      }
      lrScheduler.greedy = {
        numGoodEpochs: int(sched, 'num_good_epochs'),
        warmupCounter: int(sched, 'warmup_counter'),
        resetStart: sched.reset_start,
        window: window as number[],
        windowSum: sched.window_sum,
      };
    }
  }
  let loaderDraws: TrainerState['loaderDraws'];
  if (ved.loader_draws !== undefined) {
    const draws = ved.loader_draws as Record<string, unknown>;
    const starts = draws?.epoch_starts;
    if (typeof draws !== 'object' || draws === null || !Array.isArray(starts) || starts.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new VedError('INVALID_INPUT', `${where}: "loader_draws" must hold "total" and "epoch_starts" (non-negative integers).`);
    }
    loaderDraws = { total: int(draws, 'total'), epochStarts: starts as number[] };
  }
  let best: BestModelState | undefined;
  if (ved.metric_for_best_model !== undefined) {
    const optionalInt = (o: Record<string, unknown>, key: string) => (o[key] === null || o[key] === undefined ? undefined : int(o, key));
    const metric = obj.best_metric;
    if (metric !== null && metric !== undefined && typeof metric !== 'number') throw new VedError('INVALID_INPUT', `${where}: "best_metric" is ${JSON.stringify(metric)}, expected a number or null.`);
    const checksum = ved.best_weights_checksum;
    if (checksum !== null && checksum !== undefined && typeof checksum !== 'string') throw new VedError('INVALID_INPUT', `${where}: "best_weights_checksum" is ${JSON.stringify(checksum)}, expected a string or null.`);
    const callbacks = obj.stateful_callbacks as Record<string, unknown> | undefined;
    const early = callbacks?.EarlyStoppingCallback as { args?: Record<string, unknown>; attributes?: Record<string, unknown> } | undefined;
    let earlyStopping: BestModelState['earlyStopping'];
    if (early !== undefined) {
      const threshold = early.args?.early_stopping_threshold;
      if (typeof early.args !== 'object' || typeof early.attributes !== 'object' || typeof threshold !== 'number') {
        throw new VedError('INVALID_INPUT', `${where}: "stateful_callbacks.EarlyStoppingCallback" must hold "args" (early_stopping_patience, early_stopping_threshold) and "attributes" (early_stopping_patience_counter).`);
      }
      earlyStopping = { patience: int(early.args, 'early_stopping_patience'), threshold, counter: int(early.attributes, 'early_stopping_patience_counter') };
    }
    best = {
      metricName: str(ved, 'metric_for_best_model'),
      ...(typeof ved.greater_is_better === 'boolean' ? { greaterIsBetter: ved.greater_is_better } : {}),
      metric: typeof metric === 'number' ? metric : undefined,
      globalStep: optionalInt(obj, 'best_global_step'),
      modelStep: optionalInt(ved, 'best_model_step'),
      weightsChecksum: typeof checksum === 'string' ? checksum : undefined,
      ...(ved.best_global_step_saved === true ? { globalStepSaved: true } : {}),
      ...(earlyStopping !== undefined ? { earlyStopping } : {}),
    };
  }
  return {
    globalStep: int(obj, 'global_step'),
    epoch: typeof obj.epoch === 'number' ? obj.epoch : 0,
    maxSteps: int(obj, 'max_steps'),
    numTrainEpochs: typeof obj.num_train_epochs === 'number' ? obj.num_train_epochs : 0,
    trainBatchSize: int(obj, 'train_batch_size'),
    logHistory: history,
    run: {
      modelFingerprint: str(ved, 'model_fingerprint'),
      weightsChecksum: str(ved, 'weights_checksum'),
      optimizer,
      seed: int(ved, 'seed'),
      shuffle: ved.shuffle,
      ...(typeof ved.data_seed === 'number' ? { dataSeed: ved.data_seed } : {}),
      ...(ved.data_order === 'torch' || ved.data_order === 'length_grouped' ? { dataOrder: ved.data_order } : {}),
      gradientAccumulationSteps: int(ved, 'gradient_accumulation_steps'),
      examples: int(ved, 'examples'),
      trainable: int(ved, 'trainable_parameters'),
    },
    ...(lrScheduler !== undefined ? { lrScheduler } : {}),
    ...(best !== undefined ? { best } : {}),
    ...(ved.evaluation_pending === true ? { afterUpdatePending: true } : {}),
    ...(loaderDraws !== undefined ? { loaderDraws } : {}),
  };
}

/** `optimizer.safetensors`: the buffers with their parameters' shapes. */
export function optimizerFile(state: OptimizerState, shapeOf: (parameter: string) => readonly number[]): SavedFile {
  const tensors = [...state.tensors].map(([key, data]) => ({
    name: key,
    dtype: 'F32' as const,
    shape: state.shapes?.get(key) ?? shapeOf(key.slice(0, key.lastIndexOf('.'))),
    data,
  }));
  // Written piece by piece (AdamW's state is twice the weights): see SavedFile.parts.
  return partsFile(OPTIMIZER_FILE, safetensorsParts(tensors, { format: 'ved', optimizer: state.optimizer, step: String(state.step) }));
}

const OPTIMIZER_NAMES: readonly string[] = ['adamw', 'sgd', 'adafactor', 'rmsprop', 'adagrad'] satisfies OptimizerName[];
const isOptimizerName = (name: unknown): name is OptimizerName => typeof name === 'string' && OPTIMIZER_NAMES.includes(name);

export function parseOptimizerFile(bytes: Uint8Array, where: string): OptimizerState {
  const file = parseSafetensors(bytes, where);
  const optimizer = file.metadata.optimizer;
  const step = Number(file.metadata.step);
  if (!isOptimizerName(optimizer) || !Number.isInteger(step) || step < 0) {
    throw new VedError('INVALID_INPUT', `${where}: the metadata does not name an optimizer and step ({"optimizer": "adamw"|"sgd"|"adafactor"|"rmsprop"|"adagrad", "step": "N"}); found ${JSON.stringify(file.metadata)}.`);
  }
  const tensors = new Map<string, Float32Array>();
  for (const name of file.names()) tensors.set(name, Float32Array.from(file.getFloat32(name)));
  return { optimizer, step, tensors };
}

/**
 * A fingerprint of a model's architecture: its encoder and decoder types and
 * every tensor's name and shape (SHA-256, hex). Two checkpoints of the same
 * architecture and size share it; another model does not.
 */
export async function modelFingerprint(encoderType: string, decoderType: string, weights: Pick<TensorSource, 'names' | 'info'>): Promise<string> {
  const lines = weights
    .names()
    .map((n) => `${n}:${weights.info(n).shape.join('x')}`)
    .sort();
  const text = [`encoder=${encoderType}`, `decoder=${decoderType}`, ...lines].join('\n');
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A cheap checksum of the trainable weights (FNV-1a over up to 1024 evenly
 * spaced elements' bits per tensor, in name order): it tells whether the
 * weights of a checkpoint are the ones its trainer state was saved with, e.g.
 * after a save interrupted between the two.
 */
export function weightsChecksum(parameters: ReadonlyMap<string, Float32Array>): string {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    for (let s = 0; s < 32; s += 8) {
      h ^= (x >>> s) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  };
  for (const name of [...parameters.keys()].sort()) {
    const data = parameters.get(name)!;
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const stride = Math.max(1, Math.floor(data.length / 1024));
    mix(data.length);
    for (let i = 0; i < data.length; i += stride) mix(bits[i]!);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
