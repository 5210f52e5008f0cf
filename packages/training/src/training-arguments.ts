/**
 * The options of a training run, named after HF `TrainingArguments`
 * (transformers/training_args.py) in camelCase, with their Python defaults
 * where Python has the option; and the plan they give for a dataset (updates
 * per epoch, total updates, epochs), computed as
 * `Trainer.set_initial_training_values` computes it.
 */
import { VedError } from '@ved/core';
import { LearningRateSchedule, SCHEDULER_TYPES, type SchedulerType } from './schedule/lr-schedule.js';

// `adamw_torch_fused` (transformers 5's default with torch >= 2.8) is the same AdamW: torch's fused kernel rounds
// about 0.3% of elements one float32 ulp differently from `adamw_torch`, whose arithmetic ved follows bit for bit.
export const OPTIMIZERS = ['adamw', 'adamw_torch', 'adamw_torch_fused', 'sgd', 'adafactor', 'rmsprop', 'adagrad'] as const;

/** The `optim_args` each optimizer takes (transformers/trainer_optimizer.py `_get_sgd`, `_get_rmsprop`, `_get_adagrad`). */
const OPTIM_ARGS: Record<string, readonly string[]> = {
  sgd: ['momentum', 'dampening', 'nesterov'],
  rmsprop: ['momentum', 'alpha', 'eps', 'centered'],
  adagrad: ['lrDecay', 'eps'],
};
export type OptimizerChoice = (typeof OPTIMIZERS)[number];

export interface TrainingArguments {
  /** `learning_rate` (5e-5). */
  learningRate?: number;
  /** `weight_decay` (0): decoupled for AdamW, L2 for SGD; never on biases and LayerNorm weights, as HF Trainer groups them. */
  weightDecay?: number;
  /** `adam_beta1` (0.9). */
  adamBeta1?: number;
  /** `adam_beta2` (0.999). */
  adamBeta2?: number;
  /** `adam_epsilon` (1e-8). */
  adamEpsilon?: number;
  /**
   * `label_smoothing_factor` (0): the loss trained and reported (training and evaluation) is HF Trainer's
   * `LabelSmoother`'s, `(1 - ε) · nll + ε · mean over tokens of Σ_v -log p_v / V`, instead of the model's.
   */
  labelSmoothingFactor?: number;
  /** `max_grad_norm` (1.0); 0 turns clipping off (the norm is still measured and reported). */
  maxGradNorm?: number;
  /** `gradient_accumulation_steps` (1). */
  gradientAccumulationSteps?: number;
  /** `num_train_epochs` (3); may be fractional, as in Python. Ignored when `maxSteps` > 0. */
  numTrainEpochs?: number;
  /** `max_steps` (-1: use `numTrainEpochs`): the number of optimizer updates. */
  maxSteps?: number;
  /** `lr_scheduler_type` (`linear`): every `LambdaLR` schedule of transformers' `get_scheduler` (see `LearningRateSchedule`). */
  lrSchedulerType?: SchedulerType;
  /** `lr_scheduler_kwargs` ({}): the schedule's own arguments, snake_case as in Python (`{ num_cycles: 2 }`, `{ min_lr: 1e-6 }`, `{ num_decay_steps: 100 }`). */
  lrSchedulerKwargs?: Readonly<Record<string, unknown>>;
  /** `warmup_steps` (0): a number of updates, or a ratio of the total when below 1. */
  warmupSteps?: number;
  /** `seed` (42): the data order (unless `dataSeed`) and the dropout masks. */
  seed?: number;
  /**
   * `data_seed`: the seed of the shuffled data order alone (default: `seed`). The order is HF Trainer's: epoch e
   * visits `torch.randperm(examples)` drawn from a generator seeded with `dataSeed + e`.
   */
  dataSeed?: number;
  /** `per_device_train_batch_size` (8). */
  batchSize?: number;
  /** `per_device_eval_batch_size` (8). */
  evalBatchSize?: number;
  /**
   * `optim` (`adamw`, also spelled `adamw_torch` or `adamw_torch_fused`; `sgd`; `adafactor`, as HF Trainer builds
   * transformers' Adafactor; `rmsprop` and `adagrad`, torch.optim's).
   */
  optim?: OptimizerChoice;
  /**
   * `optim_args`: for SGD `momentum` (0), `dampening` (0), `nesterov` (false); for RMSprop `momentum` (0), `alpha`
   * (0.99), `eps` (1e-8), `centered` (false); for Adagrad `lrDecay` (`lr_decay`, 0), `eps` (1e-10). (Python's
   * `weight_decay` there changes nothing, as each parameter group sets its own: use `weightDecay`.)
   */
  optimArgs?: { momentum?: number; dampening?: number; nesterov?: boolean; alpha?: number; eps?: number; centered?: boolean; lrDecay?: number };
  /**
   * `logging_strategy`: `steps` (default: a `log_history` entry every `loggingSteps` updates), `epoch` (at the end
   * of every epoch, and where training stops inside one) or `no`. What `onStep` and `TrainOutput.steps` report is
   * every update either way.
   */
  loggingStrategy?: 'no' | 'steps' | 'epoch';
  /**
   * `logging_steps`: updates between `log_history` entries, each with the mean loss of the updates since the last
   * (and the last one's rate and gradient norm), as `_maybe_log_save_evaluate` logs them; a ratio below 1 is that
   * share of the total updates. ved's default is 1 (every update is logged); Python's is 500.
   */
  loggingSteps?: number;
  /** `logging_first_step` (false): also log the first update. */
  loggingFirstStep?: boolean;
  /**
   * `eval_strategy`: `steps` (every `evalSteps` updates and after the last; implied by `evalSteps`), `epoch` (at
   * the end of every epoch, and where training stops inside one, as `DefaultFlowCallback.on_epoch_end`) or `no`
   * (never during training). Without it or `evalSteps`, an `evalDataset` is evaluated once, after the last update.
   */
  evalStrategy?: 'no' | 'steps' | 'epoch';
  /**
   * `eval_steps`: evaluate every N updates when an evaluation dataset is given (and after the last update); a
   * ratio below 1 is that share of the total updates, rounded up (`TrainerState.compute_steps`).
   */
  evalSteps?: number;
  /**
   * `eval_delay` (0): no evaluation before this many updates (with `evalSteps`; the one after the last update
   * too, as `DefaultFlowCallback` skips it), or before this many epochs (with `evalStrategy: 'epoch'`).
   */
  evalDelay?: number;
  /** `eval_on_start` (false): evaluate before the first update, as a baseline (needs an `evalDataset`). */
  evalOnStart?: boolean;
  /**
   * `save_steps`: call `saveCheckpoint` every N updates (and after the last update, whenever a saver is given); a
   * ratio below 1 is that share of the total updates, rounded up.
   */
  saveSteps?: number;
  /**
   * `save_strategy`: `steps` (default: every `saveSteps` updates), `epoch` (at the end of every epoch, and where
   * training stops inside one), `best` (whenever an evaluation finds a new best `metricForBestModel`, which then
   * defaults to `loss`; needs an evaluation strategy, and takes no `saveSteps`) or `no` (no checkpoint during
   * training). Whatever the strategy, the last update is saved too, whenever a saver is given (as
   * `trainer.save_model()` after `train()`).
   */
  saveStrategy?: 'no' | 'steps' | 'epoch' | 'best';
  /**
   * `save_only_model` (false): checkpoints hold the model and `trainer_state.json` only, without the optimizer's
   * state (AdamW's is twice the trained weights) — smaller and faster to write, but training cannot resume from them.
   */
  saveOnlyModel?: boolean;
  /** Weights whose name starts with one of these prefixes are frozen (`encoder.` freezes the whole encoder). */
  freeze?: readonly string[];
  /** Dropout in training mode (true, as `model.train()`), or off. */
  dropout?: boolean;
  /** Shuffle the examples every epoch (true, as HF's RandomSampler), or keep their order (`trainSamplingStrategy`'s short form). */
  shuffle?: boolean;
  /**
   * `train_sampling_strategy` (`random`): `random` (shuffled, HF's `RandomSampler` order), `sequential` (the dataset's
   * order, as `shuffle: false`) or `group_by_length` (HF's `LengthGroupedSampler`: each epoch a `torch.randperm` of the
   * examples from the global generator seeded with `seed`, cut into mega-batches of 50 updates' examples (fewer for
   * small sets) sorted longest label first, the longest example's mega-batch first — batches of similar label lengths,
   * less padding). An example's length is its label tokens, as a dataset column `length` of `len(labels)` in Python.
   */
  trainSamplingStrategy?: 'random' | 'sequential' | 'group_by_length';
  /** Truncate tokenized target texts to this many tokens (special tokens included). */
  maxTargetLength?: number;
  /**
   * Append the model's `eos_token_id` to tokenized texts that do not end with it (default false:
   * exactly `tokenizer(text).input_ids`). GPT-2-style tokenizers add no end token, and a model
   * fine-tuned on targets without one never learns to stop; ved's default model was trained with it.
   */
  appendEosToken?: boolean;
  /** Also generate on the evaluation set and report `exactMatch`, `cer` and `wer` (Seq2SeqTrainingArguments' `predict_with_generate`; default true). */
  predictWithGenerate?: boolean;
  /** `generation_max_length` for evaluation (default: the checkpoint's generation config). */
  generationMaxLength?: number;
  /** `generation_num_beams` for evaluation (default: the checkpoint's generation config). */
  generationNumBeams?: number;
  /**
   * `load_best_model_at_end` (false): after the last update, or when early stopping ends training, the weights of
   * the best saved update (by `metricForBestModel`) come back, as `Trainer._load_best_model`. As in Python it needs
   * `evalSteps`, and `saveSteps` a multiple of it (or `saveStrategy: 'best'`): only an update that was saved can be
   * the one loaded.
   */
  loadBestModelAtEnd?: boolean;
  /**
   * `metric_for_best_model`: `loss`, `exact_match`, `cer`, `wer` or a name `computeMetrics` returns, with or without the
   * `eval_` prefix (default `loss`
   * with `loadBestModelAtEnd`, `reduce_lr_on_plateau` or `greedy`, as Python defaults it, and with early stopping
   * or `saveStrategy: 'best'`, where Python asks for one). `reduce_lr_on_plateau` and `greedy` follow it too.
   */
  metricForBestModel?: string;
  /**
   * `greater_is_better`: Python's default is true unless the metric's name ends in `loss` (so give false with
   * `cer` or `wer`, rates of errors).
   */
  greaterIsBetter?: boolean;
  /**
   * `EarlyStoppingCallback(early_stopping_patience)`: stop once this many evaluations in a row have not improved on
   * the best `metricForBestModel` (default: no early stopping). Needs `evalSteps`.
   */
  earlyStoppingPatience?: number;
  /** `EarlyStoppingCallback(early_stopping_threshold)` (0): an improvement must exceed it to reset the patience. */
  earlyStoppingThreshold?: number;
}

/** The evaluation's own metrics, with the `eval_` prefix (`computeMetrics` may add others). */
export const BEST_MODEL_METRICS = ['eval_loss', 'eval_exact_match', 'eval_cer', 'eval_wer'] as const;
/** A metric of the evaluation, with the `eval_` prefix. */
export type BestModelMetric = `eval_${string}`;

export type ResolvedArguments = Required<
  Omit<
    TrainingArguments,
    'evalStrategy' | 'evalSteps' | 'saveSteps' | 'loggingStrategy' | 'dataSeed' | 'maxTargetLength' | 'generationMaxLength' | 'generationNumBeams' | 'optimArgs' | 'optim' | 'trainSamplingStrategy' | 'metricForBestModel' | 'greaterIsBetter' | 'earlyStoppingPatience'
  >
> & {
  optim: 'adamw' | 'sgd' | 'adafactor' | 'rmsprop' | 'adagrad';
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** RMSprop's `alpha`, `centered`; Adagrad's `lr_decay`; the `eps` of either (undefined: the optimizer's default). */
  alpha: number;
  centered: boolean;
  lrDecay: number;
  optimEps: number | undefined;
  loggingStrategy: 'no' | 'steps' | 'epoch';
  dataSeed: number | undefined;
  /** `shuffle` is false exactly when this is `sequential`. */
  trainSamplingStrategy: 'random' | 'sequential' | 'group_by_length';
  /** Undefined: none given (an `evalDataset` is evaluated after the last update only). */
  evalStrategy: 'no' | 'steps' | 'epoch' | undefined;
  /** As given: a number of updates, or a ratio below 1 (`TrainingPlan.evalSteps` has the count). */
  evalSteps: number | undefined;
  saveSteps: number | undefined;
  saveStrategy: 'no' | 'steps' | 'epoch' | 'best';
  maxTargetLength: number | undefined;
  generationMaxLength: number | undefined;
  generationNumBeams: number | undefined;
  /** With the `eval_` prefix; undefined when no best model is tracked. */
  metricForBestModel: BestModelMetric | undefined;
  /** Set whenever `metricForBestModel` is. */
  greaterIsBetter: boolean | undefined;
  earlyStoppingPatience: number | undefined;
};

const KNOWN = new Set<string>([
  'learningRate', 'weightDecay', 'labelSmoothingFactor', 'adamBeta1', 'adamBeta2', 'adamEpsilon', 'maxGradNorm', 'gradientAccumulationSteps',
  'numTrainEpochs', 'maxSteps', 'lrSchedulerType', 'lrSchedulerKwargs', 'warmupSteps', 'seed', 'dataSeed', 'batchSize', 'evalBatchSize', 'optim', 'optimArgs',
  'loggingStrategy', 'loggingSteps', 'loggingFirstStep', 'evalStrategy', 'evalSteps', 'evalDelay', 'evalOnStart', 'saveSteps', 'saveStrategy', 'saveOnlyModel', 'freeze', 'dropout', 'shuffle', 'trainSamplingStrategy', 'maxTargetLength', 'appendEosToken', 'predictWithGenerate', 'generationMaxLength',
  'generationNumBeams', 'loadBestModelAtEnd', 'metricForBestModel', 'greaterIsBetter', 'earlyStoppingPatience', 'earlyStoppingThreshold',
]);

function bad(option: string, value: unknown, expected: string): never {
  throw new VedError('INVALID_OPTION', `${option} is ${JSON.stringify(value)}; expected ${expected}.`);
}

function num(option: string, value: number | undefined, fallback: number, check: (v: number) => boolean, expected: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) bad(option, value, expected);
  return v;
}

function posInt(option: string, value: number | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) bad(option, value, 'a positive integer');
  return value;
}

/** `eval_steps` / `save_steps`: a whole number of updates, or a ratio of the total in (0, 1). */
function stepsOrRatio(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (value >= 1 && !Number.isInteger(value))) {
    bad(option, value, 'a whole number of updates, or a ratio of the total in (0, 1)');
  }
  return value;
}

/** `shuffle` and `trainSamplingStrategy`, one from the other; both given, they must agree. */
function samplingStrategy(args: TrainingArguments): { shuffle: boolean; trainSamplingStrategy: ResolvedArguments['trainSamplingStrategy'] } {
  const shuffle = args.shuffle;
  if (shuffle !== undefined && typeof shuffle !== 'boolean') bad('shuffle', shuffle, 'true or false');
  const strategy = oneOf('trainSamplingStrategy', args.trainSamplingStrategy, ['random', 'sequential', 'group_by_length'] as const);
  if (strategy === undefined) return { shuffle: shuffle ?? true, trainSamplingStrategy: shuffle === false ? 'sequential' : 'random' };
  if (shuffle !== undefined && shuffle !== (strategy !== 'sequential')) {
    bad('shuffle', shuffle, `${!shuffle} with trainSamplingStrategy "${strategy}" (or leave it out)`);
  }
  return { shuffle: strategy !== 'sequential', trainSamplingStrategy: strategy };
}

function oneOf<T extends string>(option: string, value: T | undefined, choices: readonly T[]): T | undefined {
  if (value !== undefined && !choices.includes(value)) bad(option, value, choices.map((c) => JSON.stringify(c)).join(', '));
  return value;
}

/** Fills in the defaults and validates every option; an unknown key is an error (a misspelt option would silently do nothing). */
export function resolveArguments(args: TrainingArguments = {}): ResolvedArguments {
  for (const key of Object.keys(args)) {
    if (!KNOWN.has(key)) throw new VedError('INVALID_OPTION', `Unknown training argument ${JSON.stringify(key)}; known: ${[...KNOWN].join(', ')}.`);
  }
  const optim = args.optim ?? 'adamw';
  if (!OPTIMIZERS.includes(optim)) bad('optim', optim, OPTIMIZERS.map((o) => JSON.stringify(o)).join(', '));
  const type = args.lrSchedulerType ?? 'linear';
  if (!SCHEDULER_TYPES.includes(type)) bad('lrSchedulerType', type, SCHEDULER_TYPES.map((o) => JSON.stringify(o)).join(', '));
  const kwargs = args.lrSchedulerKwargs ?? {};
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) bad('lrSchedulerKwargs', kwargs, 'an object of the schedule\'s arguments');
  const optimArgs = args.optimArgs ?? {};
  if (typeof optimArgs !== 'object' || optimArgs === null || Array.isArray(optimArgs)) bad('optimArgs', optimArgs, 'an object of the optimizer\'s arguments');
  const takes = OPTIM_ARGS[optim] ?? [];
  for (const key of Object.keys(optimArgs)) {
    if (!takes.includes(key)) {
      bad('optimArgs', optimArgs, takes.length === 0 ? `none for ${optim} (SGD, RMSprop and Adagrad take optimArgs)` : `only ${takes.join(', ')} for ${optim}`);
    }
  }
  const freeze = args.freeze ?? [];
  if (!Array.isArray(freeze) || freeze.some((p) => typeof p !== 'string' || p === '')) bad('freeze', freeze, 'a list of non-empty name prefixes');
  const seed = args.seed ?? 42;
  if (!Number.isSafeInteger(seed) || seed < 0) bad('seed', seed, 'a non-negative integer');
  const maxSteps = args.maxSteps ?? -1;
  if (!Number.isInteger(maxSteps) || maxSteps === 0 || maxSteps < -1) bad('maxSteps', maxSteps, 'a positive integer, or -1 to train for numTrainEpochs');
  const bool = (option: string, value: boolean | undefined, fallback: boolean) => {
    if (value !== undefined && typeof value !== 'boolean') bad(option, value, 'true or false');
    return value ?? fallback;
  };
  const resolved: ResolvedArguments = {
    learningRate: num('learningRate', args.learningRate, 5e-5, (v) => v >= 0, 'a non-negative number'),
    weightDecay: num('weightDecay', args.weightDecay, 0, (v) => v >= 0, 'a non-negative number'),
    labelSmoothingFactor: num('labelSmoothingFactor', args.labelSmoothingFactor, 0, (v) => v >= 0 && v <= 1, 'a number in [0, 1]'),
    adamBeta1: num('adamBeta1', args.adamBeta1, 0.9, (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    adamBeta2: num('adamBeta2', args.adamBeta2, 0.999, (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    adamEpsilon: num('adamEpsilon', args.adamEpsilon, 1e-8, (v) => v >= 0, 'a non-negative number'),
    maxGradNorm: num('maxGradNorm', args.maxGradNorm, 1, (v) => v >= 0, 'a non-negative number (0 turns clipping off)'),
    gradientAccumulationSteps: posInt('gradientAccumulationSteps', args.gradientAccumulationSteps, 1)!,
    numTrainEpochs: num('numTrainEpochs', args.numTrainEpochs, 3, (v) => v > 0, 'a positive number'),
    maxSteps,
    lrSchedulerType: type,
    lrSchedulerKwargs: { ...kwargs },
    warmupSteps: num('warmupSteps', args.warmupSteps, 0, (v) => v >= 0 && (v < 1 || Number.isInteger(v)), 'a whole number of steps, or a ratio in [0, 1)'),
    seed,
    dataSeed: args.dataSeed === undefined ? undefined : num('dataSeed', args.dataSeed, 0, (v) => Number.isSafeInteger(v) && v >= 0, 'a non-negative integer'),
    batchSize: posInt('batchSize', args.batchSize, 8)!,
    evalBatchSize: posInt('evalBatchSize', args.evalBatchSize, 8)!,
    optim: optim === 'sgd' || optim === 'adafactor' || optim === 'rmsprop' || optim === 'adagrad' ? optim : 'adamw',
    momentum: num('optimArgs.momentum', optimArgs.momentum, 0, (v) => v >= 0, 'a non-negative number'),
    dampening: num('optimArgs.dampening', optimArgs.dampening, 0, () => true, 'a number'),
    nesterov: bool('optimArgs.nesterov', optimArgs.nesterov, false),
    alpha: num('optimArgs.alpha', optimArgs.alpha, 0.99, (v) => v >= 0, 'a non-negative number'),
    centered: bool('optimArgs.centered', optimArgs.centered, false),
    lrDecay: num('optimArgs.lrDecay', optimArgs.lrDecay, 0, (v) => v >= 0, 'a non-negative number'),
    optimEps: optimArgs.eps === undefined ? undefined : num('optimArgs.eps', optimArgs.eps, 0, (v) => v >= 0, 'a non-negative number'),
    loggingStrategy: oneOf('loggingStrategy', args.loggingStrategy, ['no', 'steps', 'epoch'] as const) ?? 'steps',
    loggingSteps: stepsOrRatio('loggingSteps', args.loggingSteps) ?? 1,
    loggingFirstStep: bool('loggingFirstStep', args.loggingFirstStep, false),
    evalStrategy: oneOf('evalStrategy', args.evalStrategy, ['no', 'steps', 'epoch'] as const) ?? (args.evalSteps !== undefined ? 'steps' : undefined),
    evalSteps: stepsOrRatio('evalSteps', args.evalSteps),
    evalDelay: num('evalDelay', args.evalDelay, 0, (v) => v >= 0, 'a non-negative number of updates (of epochs with evalStrategy "epoch")'),
    evalOnStart: bool('evalOnStart', args.evalOnStart, false),
    saveSteps: stepsOrRatio('saveSteps', args.saveSteps),
    saveStrategy: oneOf('saveStrategy', args.saveStrategy, ['no', 'steps', 'epoch', 'best'] as const) ?? 'steps',
    saveOnlyModel: bool('saveOnlyModel', args.saveOnlyModel, false),
    freeze: [...freeze],
    dropout: bool('dropout', args.dropout, true),
    ...samplingStrategy(args),
    maxTargetLength: posInt('maxTargetLength', args.maxTargetLength, undefined),
    appendEosToken: bool('appendEosToken', args.appendEosToken, false),
    predictWithGenerate: bool('predictWithGenerate', args.predictWithGenerate, true),
    generationMaxLength: posInt('generationMaxLength', args.generationMaxLength, undefined),
    generationNumBeams: posInt('generationNumBeams', args.generationNumBeams, undefined),
    loadBestModelAtEnd: bool('loadBestModelAtEnd', args.loadBestModelAtEnd, false),
    metricForBestModel: undefined,
    greaterIsBetter: undefined,
    earlyStoppingPatience: posInt('earlyStoppingPatience', args.earlyStoppingPatience, undefined),
    earlyStoppingThreshold: num('earlyStoppingThreshold', args.earlyStoppingThreshold, 0, (v) => v >= 0, 'a non-negative number'),
  };
  resolveStrategies(resolved);
  resolveBestModel(args, resolved);
  if ((type === 'reduce_lr_on_plateau' || type === 'greedy') && !evaluatesPeriodically(resolved)) {
    bad('lrSchedulerType', type, `evalSteps or evalStrategy "epoch" with it: ${type} follows the evaluations (HF: "requires an eval strategy")`);
  }
  // The schedule's kwargs are checked now, not after the model has loaded (the step counts come later).
  new LearningRateSchedule({ type, learningRate: resolved.learningRate, totalSteps: 1, kwargs: resolved.lrSchedulerKwargs });
  return resolved;
}

/** Evaluations during training (every `evalSteps` updates or every epoch), which the best model, early stopping and `reduce_lr_on_plateau` follow. */
export function evaluatesPeriodically(args: ResolvedArguments): boolean {
  return args.evalStrategy === 'steps' || args.evalStrategy === 'epoch';
}

/** Checkpoints during training among which a best model is chosen (`save_strategy` steps with `saveSteps`, epoch or best). */
export function savesCheckpoints(args: ResolvedArguments): boolean {
  return args.saveStrategy === 'epoch' || args.saveStrategy === 'best' || (args.saveStrategy === 'steps' && args.saveSteps !== undefined);
}

/** The strategies and their step counts agree (`TrainingArguments.__post_init__`'s checks). */
function resolveStrategies(resolved: ResolvedArguments): void {
  const { evalStrategy, evalSteps, saveStrategy, saveSteps } = resolved;
  if (evalStrategy === 'steps' && evalSteps === undefined) bad('evalStrategy', 'steps', 'evalSteps with it (how many updates apart)');
  if (evalStrategy !== 'steps' && evalSteps !== undefined) bad('evalSteps', evalSteps, `none with evalStrategy ${JSON.stringify(evalStrategy)} (evalSteps counts updates for "steps")`);
  if (saveStrategy !== 'steps' && saveSteps !== undefined) bad('saveSteps', saveSteps, `none with saveStrategy ${JSON.stringify(saveStrategy)} (saveSteps counts updates for "steps")`);
}

/**
 * The best-model options, as `TrainingArguments.__post_init__` (transformers/training_args.py) defaults and checks
 * them, and as `EarlyStoppingCallback.on_train_begin` asserts.
 */
function resolveBestModel(args: TrainingArguments, resolved: ResolvedArguments): void {
  const early = resolved.earlyStoppingPatience !== undefined;
  const saveBest = resolved.saveStrategy === 'best';
  const periodic = evaluatesPeriodically(resolved);
  if (saveBest && !periodic) bad('saveStrategy', 'best', 'evalSteps or evalStrategy "epoch" with it (a save follows an evaluation that finds a new best)');
  let metric = args.metricForBestModel;
  if (metric !== undefined) {
    const prefixed = typeof metric === 'string' && !metric.startsWith('eval_') ? `eval_${metric}` : metric;
    // Names of computeMetrics' results are checked when the Trainer knows whether it has one.
    if (typeof prefixed !== 'string' || !/^eval_[A-Za-z0-9_]+$/.test(prefixed)) {
      bad('metricForBestModel', metric, `a metric's name: ${BEST_MODEL_METRICS.map((m) => JSON.stringify(m.slice('eval_'.length))).join(', ')} or one computeMetrics returns (with or without "eval_")`);
    }
    metric = prefixed;
  } else if (resolved.loadBestModelAtEnd || resolved.lrSchedulerType === 'reduce_lr_on_plateau' || resolved.lrSchedulerType === 'greedy' || early || saveBest) {
    metric = 'eval_loss';
  }
  if (args.greaterIsBetter !== undefined && typeof args.greaterIsBetter !== 'boolean') bad('greaterIsBetter', args.greaterIsBetter, 'true or false');
  if (args.greaterIsBetter !== undefined && metric === undefined) bad('greaterIsBetter', args.greaterIsBetter, 'it only with metricForBestModel, loadBestModelAtEnd or earlyStoppingPatience');
  resolved.metricForBestModel = metric as BestModelMetric | undefined;
  resolved.greaterIsBetter = metric === undefined ? undefined : (args.greaterIsBetter ?? !metric.endsWith('loss'));
  // exact_match, cer and wer (of the evaluation, or of a named set: eval_<set>_cer) score generated texts; a name of
  // computeMetrics' asks for predictWithGenerate where the Trainer knows of it.
  if (metric !== undefined && /_(exact_match|cer|wer)$/.test(metric) && !resolved.predictWithGenerate) {
    bad('metricForBestModel', args.metricForBestModel, `"loss", or predictWithGenerate: ${metric} is measured on generated texts`);
  }
  if (resolved.loadBestModelAtEnd && !saveBest) {
    if (!periodic) bad('loadBestModelAtEnd', true, 'evalSteps or evalStrategy "epoch" with it (the best model is chosen by evaluations)');
    if (resolved.evalStrategy === 'epoch' && resolved.saveStrategy !== 'epoch') {
      bad('saveStrategy', args.saveStrategy, '"epoch" (or "best") with evalStrategy "epoch" and loadBestModelAtEnd: only a saved update can be loaded back (HF: "requires the save and eval strategy to match")');
    }
    if (resolved.evalStrategy === 'steps' && !isMultiple(resolved.saveSteps, resolved.evalSteps!)) {
      bad('saveSteps', args.saveSteps, `a multiple of evalSteps (${resolved.evalSteps}; two ratios are compared as ratios) with loadBestModelAtEnd: only a saved update can be loaded back (HF: "requires the saving steps to be a round multiple of the evaluation steps")`);
    }
  }
  if (early && !periodic) bad('earlyStoppingPatience', resolved.earlyStoppingPatience, 'evalSteps or evalStrategy "epoch" with it (it counts evaluations without improvement)');
  if (!early && args.earlyStoppingThreshold !== undefined) bad('earlyStoppingThreshold', args.earlyStoppingThreshold, 'it only with earlyStoppingPatience');
}

/**
 * `TrainingArguments.__post_init__`'s check, float for float: `save_steps % eval_steps == 0` as given (so 2 updates
 * and a ratio of 0.25 pass), else two ratios compared in millionths.
 */
function isMultiple(save: number | undefined, evalSteps: number): boolean {
  if (save === undefined) return false;
  if (save % evalSteps === 0) return true;
  if (evalSteps >= 1 && save >= 1) return false;
  if (!(evalSteps < 1 && save < 1)) return false;
  return (save * 1_000_000) % (evalSteps * 1_000_000) === 0;
}

export interface TrainingPlan {
  examples: number;
  /** Batches per epoch (the last may be smaller). */
  batchesPerEpoch: number;
  /** Optimizer updates per epoch (the last accumulates the remaining batches). */
  updatesPerEpoch: number;
  /** Total optimizer updates (`max_steps`). */
  totalSteps: number;
  /** Epochs the loop starts (the last may stop early at `totalSteps`). */
  epochs: number;
  /** Warmup updates (`get_warmup_steps`). */
  warmupSteps: number;
  /** `state.eval_steps`, `state.save_steps`, `state.logging_steps`: in updates (ratios of `totalSteps` rounded up). */
  evalSteps: number | undefined;
  saveSteps: number | undefined;
  loggingSteps: number;
}

/** `Trainer.set_initial_training_values` for a dataset of `examples` examples. */
export function planTraining(args: ResolvedArguments, examples: number): TrainingPlan {
  const batchesPerEpoch = Math.ceil(examples / args.batchSize);
  const ga = args.gradientAccumulationSteps;
  const updatesPerEpoch = Math.max(Math.floor(batchesPerEpoch / ga) + (batchesPerEpoch % ga > 0 ? 1 : 0), 1);
  const totalSteps = args.maxSteps > 0 ? args.maxSteps : Math.ceil(args.numTrainEpochs * updatesPerEpoch);
  const epochs = args.maxSteps > 0 ? Math.ceil(totalSteps / updatesPerEpoch) : Math.ceil(args.numTrainEpochs);
  const warmupSteps = args.warmupSteps >= 1 ? Math.trunc(args.warmupSteps) : Math.ceil(totalSteps * args.warmupSteps);
  // TrainerState.compute_steps
  const count = (steps: number | undefined) => (steps === undefined ? undefined : steps < 1 ? Math.ceil(totalSteps * steps) : steps);
  return { examples, batchesPerEpoch, updatesPerEpoch, totalSteps, epochs, warmupSteps, evalSteps: count(args.evalSteps), saveSteps: count(args.saveSteps), loggingSteps: count(args.loggingSteps)! };
}

/**
 * The micro-batches of update `step` (1-based, global): which epoch, and the
 * batch indices inside it, as HF Trainer's loop chunks an epoch into groups of
 * `gradient_accumulation_steps` batches, the last group taking the remainder.
 */
export function updateBatches(plan: TrainingPlan, ga: number, step: number): { epoch: number; batches: number[] } {
  const epoch = Math.floor((step - 1) / plan.updatesPerEpoch);
  const inEpoch = (step - 1) % plan.updatesPerEpoch;
  const first = inEpoch * ga;
  const last = Math.min(first + ga, plan.batchesPerEpoch);
  return { epoch, batches: Array.from({ length: last - first }, (_, i) => first + i) };
}
