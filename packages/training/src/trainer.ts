/**
 * `Trainer`: fine-tunes a `VisionEncoderDecoderModel` on (image, text) pairs
 * the way HF Trainer's loop does (transformers/trainer.py,
 * `Trainer._inner_training_loop` / `_run_epoch` / `training_step`), on ved's
 * gradient engine:
 *
 * - an epoch is `ceil(examples / batchSize)` batches (the last may be
 *   smaller), grouped into updates of `gradientAccumulationSteps` batches (the
 *   last update of an epoch takes the remainder);
 * - each micro-batch's mean loss is divided by the number of micro-batches of
 *   its update before its gradient is accumulated: `training_step`'s
 *   `loss / current_gradient_accumulation_steps` for a model whose loss does
 *   not take `num_items_in_batch` (the reported loss is their mean);
 * - then `clip_grad_norm_(max_grad_norm)` (the norm is measured even when
 *   clipping is off), one optimizer update at the schedule's rate for this
 *   update, and the schedule moves on;
 * - AdamW, SGD, Adafactor, RMSprop or Adagrad over two parameter groups
 *   (`get_decay_parameter_names`: no weight decay on biases and LayerNorm
 *   weights); frozen weights get no gradient at all;
 * - after an update, `_maybe_log_save_evaluate`'s evaluation, best model
 *   (best-model.ts), early stopping and checkpoint (`afterUpdate`).
 *
 * Data order: HF Trainer's shuffled order per epoch (`EpochOrder`: torch.randperm seeded with the data seed and
 * the epoch), or the dataset's order. A NaN
 * or infinite loss or gradient norm stops training before the update
 * (`TrainingDivergedError`). `checkpointFiles()` gives the Hugging Face
 * checkpoint of the current weights plus `optimizer.safetensors` and
 * `trainer_state.json`, from which `train({resumeFromCheckpoint})` continues
 * exactly: the data order comes from the seed and the epoch, the learning rate
 * from the step, and the dropout masks from the seed, the update and the
 * micro-batch.
 */
import {
  InMemoryTensors,
  TensorUnion,
  VedError,
  loadWeights,
  readText,
  serializePretrained,
  type ModelFiles,
  type PixelBatch,
  type Runtime,
  type SavedFile,
  type Tokenizer,
  type VisionEncoderDecoderModel,
} from '@ved/core';
import { collateLabels } from './data/collate.js';
import { EpochOrder } from './data/epoch-order.js';
import { LengthGroupedOrder, lengthGroupedIndices } from './data/length-grouped.js';
import { TorchCpuGenerator } from './data/torch-randperm.js';
import { prepareExamples, type PreparedExample, type TrainingDataset } from './data/examples.js';
import { BestModel } from './best-model.js';
import { TrainingDivergedError } from './errors.js';
import { runEvaluation, type ComputeMetrics, type EvalMetrics, type EvaluationResult } from './evaluation.js';
import { AdamW, type ParallelUpdates } from './optim/adamw.js';
import { clipCoefficient, totalGradNorm } from './optim/clip-grad-norm.js';
import { isNoDecayParameter } from './optim/decay-parameters.js';
import type { Optimizer } from './optim/optimizer.js';
import { SGD } from './optim/sgd.js';
import { RMSprop } from './optim/rmsprop.js';
import { Adagrad } from './optim/adagrad.js';
import { Adafactor } from './optim/adafactor.js';
import { LearningRateSchedule } from './schedule/lr-schedule.js';
import { defaultSessionFactory, type SessionFactory, type TrainingSessionLike } from './session.js';
import {
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
  modelFingerprint,
  optimizerFile,
  parseOptimizerFile,
  parseTrainerState,
  trainerStateJson,
  weightsChecksum,
  type LogEntry,
  type RunIdentity,
  type TrainerState,
} from './checkpoint/trainer-state.js';
import {
  BEST_MODEL_METRICS,
  planTraining,
  resolveArguments,
  updateBatches,
  type ResolvedArguments,
  type TrainingArguments,
  type TrainingPlan,
} from './training-arguments.js';

const f = Math.fround;

export interface StepMetrics {
  /** The update, 1-based. */
  step: number;
  totalSteps: number;
  /** Fractional epoch reached, as HF Trainer reports it. */
  epoch: number;
  /** Mean of the update's micro-batch losses, before the update. */
  loss: number;
  /** The learning rate the update used. */
  learningRate: number;
  /** Total gradient norm before clipping. */
  gradNorm: number;
  /** Images in this update. */
  examples: number;
  /** Label tokens in this update. */
  tokens: number;
}

export interface TrainerCallbacks {
  /** Before the first update of this call (`startStep` > 0 when resuming). */
  onTrainBegin?: (info: { plan: TrainingPlan; startStep: number }) => void;
  /**
   * At the start of each update, before its first forward pass (HF's `on_step_begin`); the previous
   * update's gradients are no longer referenced here, so a backend can return their memory first.
   */
  onStepBegin?: (info: { step: number }) => void;
  onStep?: (metrics: StepMetrics) => void;
  onEvaluate?: (metrics: EvalMetrics) => void;
  /** After `saveCheckpoint` wrote a checkpoint. */
  onSave?: (info: { step: number }) => void;
}

export interface TrainerInit<Image> {
  model: VisionEncoderDecoderModel;
  runtime: Runtime;
  args?: TrainingArguments;
  trainDataset: TrainingDataset<Image>;
  /**
   * The evaluation examples; or several sets by name, as HF's `eval_dataset` dict: each is evaluated in turn,
   * its metrics logged as `eval_<name>_loss` (`eval_<name>_cer`, …), and `metricForBestModel` names one of them.
   */
  evalDataset?: TrainingDataset<Image> | Readonly<Record<string, TrainingDataset<Image>>>;
  /** Decodes and preprocesses images into `pixel_values` (a pipeline's `preprocess`). */
  prepareImages: (images: readonly Image[]) => Promise<PixelBatch>;
  /** Tokenizes `text` examples and decodes generated ids in evaluation. */
  tokenizer?: Tokenizer;
  /**
   * HF's `compute_metrics`: called after each evaluation that generates (`predictWithGenerate`) with the generated
   * and reference ids and texts; its named numbers are logged as `eval_<name>` and may be `metricForBestModel`.
   */
  computeMetrics?: ComputeMetrics;
  /** Writes checkpoint files (every `saveSteps` and after the last update). */
  saveCheckpoint?: (files: SavedFile[], step: number) => Promise<void>;
  callbacks?: TrainerCallbacks;
  /** The gradient engine (default: `TrainingSession.create` of `@ved/core`). */
  createSession?: SessionFactory;
  /**
   * Another thread for half of AdamW's update (`AdamW.stepParallel`; on Node, `createParallelUpdates()` of
   * `@ved/backend-node`): the same numbers, sooner. The caller closes it. SGD ignores it.
   */
  parallelUpdates?: ParallelUpdates;
}

/** What `predict` returns (Python's `PredictionOutput`, with the texts beside the ids). */
export interface PredictionOutput {
  /** The generated sequences, one per example (with `predictWithGenerate`). */
  predictionIds?: number[][];
  /** Their texts, special tokens skipped (with `predictWithGenerate`). */
  predictions?: string[];
  /** Each example's labels. */
  labelIds: number[][];
  /** Each example's text: its `text`, or (with `predictWithGenerate`) its labels decoded. */
  references: string[];
  /** `test_loss`, and with `predictWithGenerate` `test_exact_match`, `test_cer` and `computeMetrics`' names with `test_`. */
  metrics: Record<string, number>;
}

export interface TrainOptions {
  signal?: AbortSignal;
  /** A checkpoint written by this Trainer (`checkpointFiles`): training continues from its step, exactly. */
  resumeFromCheckpoint?: ModelFiles;
}

/**
 * What `evaluate` / `evaluateDatasets` may change for one call (Seq2SeqTrainer.evaluate's `eval_dataset`,
 * `metric_key_prefix` and generation kwargs).
 */
export interface EvaluateOptions<Image> {
  signal?: AbortSignal;
  /** Evaluate on this dataset (or these sets by name) instead of the Trainer's `evalDataset`. */
  evalDataset?: TrainingDataset<Image> | Readonly<Record<string, TrainingDataset<Image>>>;
  /** The metrics' prefix (`metric_key_prefix`, default `eval`): `test` logs `test_loss`, `test_<set>_loss`, … */
  metricKeyPrefix?: string;
  /** The generation's `max_length` for this call (else `generationMaxLength`, else the checkpoint's). */
  maxLength?: number;
  /** The generation's `num_beams` for this call (else `generationNumBeams`, else the checkpoint's). */
  numBeams?: number;
}

/** What `predict` may change for one call (Seq2SeqTrainer.predict's `metric_key_prefix` and generation kwargs). */
export interface PredictOptions {
  signal?: AbortSignal;
  /** The metrics' prefix (`metric_key_prefix`, default `test`). */
  metricKeyPrefix?: string;
  maxLength?: number;
  numBeams?: number;
}

export interface TrainOutput {
  globalStep: number;
  /** Mean loss over the updates of this call. */
  trainingLoss: number;
  steps: StepMetrics[];
  evaluations: EvalMetrics[];
  /** The best value of `metricForBestModel` so far (HF's `state.best_metric`), when one is tracked. */
  bestMetric?: number;
  /** The update of the best evaluation (`state.best_global_step`), when updates are saved (`saveSteps`). */
  bestGlobalStep?: number;
  /**
   * The best update that was saved (HF's `state.best_model_checkpoint`): with `loadBestModelAtEnd`, the
   * weights the Trainer holds after training (undefined: none was saved, the last weights stay).
   */
  bestModelStep?: number;
  /** Early stopping (`earlyStoppingPatience`) ended training before `maxSteps`. */
  stoppedEarly: boolean;
}

interface Prepared<Image> {
  train: PreparedExample<Image>[];
  /** The evaluation sets (one, unnamed, or several by name). */
  eval: EvalSet<Image>[] | undefined;
  plan: TrainingPlan;
  session: TrainingSessionLike;
  optimizer: Optimizer;
  schedule: LearningRateSchedule;
  order: Pick<EpochOrder, 'epoch'>;
  fingerprint: string;
  padTokenId: number;
  decoderStartTokenId: number;
  /** How datasets are tokenized and checked (for `predict`'s). */
  exampleOptions: Omit<Parameters<typeof prepareExamples>[1], 'label'>;
}

/** An evaluation set: unnamed (`eval_loss`, …), or one of several by name (`eval_<name>_loss`, …). */
interface EvalSet<Image> {
  name: string | undefined;
  examples: PreparedExample<Image>[];
}

export class Trainer<Image> {
  readonly args: ResolvedArguments;
  private prepared: Promise<Prepared<Image>> | undefined;
  private globalStep = 0;
  private epoch = 0;
  private logHistory: LogEntry[] = [];
  /** What the next `log_history` entry averages: the updates' losses since the last entry (HF's `tr_loss`), the last update's rate and norm. */
  private logWindow = { lossSum: 0, lastLogged: 0, learningRate: 0, gradNorm: 0 };
  /** The last update's evaluation (and what follows it) has not run yet: a checkpoint taken now records it. */
  private afterUpdatePending = false;
  /**
   * The `DataLoader` iterators of evaluations and `predict` so far, and how many had run when each epoch began: each
   * takes a base seed from torch's global generator, which the length-grouped order draws from (length-grouped.ts).
   */
  private loaderDraws = { total: 0, epochStarts: [] as number[] };
  private readonly best: BestModel;

  constructor(private readonly init: TrainerInit<Image>) {
    this.args = resolveArguments(init.args);
    this.best = new BestModel(this.args);
  }

  /** The update reached so far. */
  get step(): number {
    return this.globalStep;
  }

  /** Everything checked and built before the first update: examples, plan, session, optimizer. */
  private prepare(): Promise<Prepared<Image>> {
    this.prepared ??= this.build();
    return this.prepared;
  }

  private async build(): Promise<Prepared<Image>> {
    const { model, tokenizer } = this.init;
    const args = this.args;
    const top = model.config.raw;
    for (const key of ['decoder_start_token_id', 'pad_token_id'] as const) {
      if (typeof top[key] !== 'number') {
        throw new VedError('INVALID_CONFIG', `${model.config.fileName}: the top-level "${key}" is not set; training needs it to shift the labels into decoder inputs, as Python's forward does.`);
      }
    }
    const eosTokenId = args.appendEosToken ? eosOf(model) : undefined;
    const common = {
      vocabSize: model.vocabSize,
      ...(tokenizer ? { tokenizer } : {}),
      ...(args.maxTargetLength ? { maxTargetLength: args.maxTargetLength } : {}),
      ...(eosTokenId !== undefined ? { eosTokenId } : {}),
    };
    const train = await prepareExamples(this.init.trainDataset, { ...common, label: 'training dataset' });
    const evalSet = await this.prepareEvalSets(this.init.evalDataset, common);

    const names = model.weights.names();
    for (const prefix of args.freeze) {
      if (!names.some((n) => n.startsWith(prefix))) {
        throw new VedError('INVALID_OPTION', `freeze prefix ${JSON.stringify(prefix)} matches no weight of the model (weights start with ${[...new Set(names.map((n) => n.split('.')[0]))].map((p) => JSON.stringify(`${p}.`)).join(', ')}).`);
      }
    }
    const trainable = (name: string) => !args.freeze.some((prefix) => name.startsWith(prefix));
    if (!names.some(trainable)) throw new VedError('INVALID_OPTION', `freeze ${JSON.stringify(args.freeze)} freezes every weight: nothing would train.`);

    const session = await (this.init.createSession ?? defaultSessionFactory)(model, this.init.runtime, {
      trainable,
      dropout: args.dropout,
      seed: args.seed,
      ...(args.labelSmoothingFactor !== 0 ? { labelSmoothing: args.labelSmoothingFactor } : {}),
    });
    const noDecay = (name: string) => isNoDecayParameter(name, this.shapeOf(name, session));
    const { weightDecay } = args;
    const eps = args.optimEps !== undefined ? { eps: args.optimEps } : {};
    const optimizers: Record<ResolvedArguments['optim'], () => Optimizer> = {
      sgd: () => new SGD({ momentum: args.momentum, dampening: args.dampening, nesterov: args.nesterov, weightDecay, noDecay }),
      adafactor: () => new Adafactor({ shapeOf: (name) => this.shapeOf(name, session), weightDecay, noDecay }),
      rmsprop: () => new RMSprop({ alpha: args.alpha, momentum: args.momentum, centered: args.centered, ...eps, weightDecay, noDecay }),
      adagrad: () => new Adagrad({ lrDecay: args.lrDecay, ...eps, weightDecay, noDecay }),
      adamw: () => new AdamW({ beta1: args.adamBeta1, beta2: args.adamBeta2, eps: args.adamEpsilon, weightDecay, noDecay }),
    };
    const optimizer = optimizers[args.optim]();
    const plan = planTraining(args, train.length);
    const schedule = new LearningRateSchedule({
      type: args.lrSchedulerType,
      learningRate: args.learningRate,
      warmupSteps: plan.warmupSteps,
      totalSteps: plan.totalSteps,
      kwargs: args.lrSchedulerKwargs,
    });
    if (schedule.followsEvaluations && evalSet === undefined) {
      throw new VedError('INVALID_OPTION', `lrSchedulerType "${args.lrSchedulerType}" moves the rate as the evaluations go: give an evalDataset (and evalSteps).`);
    }
    if ((args.loadBestModelAtEnd || args.earlyStoppingPatience !== undefined || args.evalOnStart) && evalSet === undefined) {
      const option = args.loadBestModelAtEnd ? 'loadBestModelAtEnd' : args.earlyStoppingPatience !== undefined ? 'earlyStoppingPatience' : 'evalOnStart';
      throw new VedError('INVALID_OPTION', `${option} follows the evaluations: give an evalDataset.`);
    }
    const metric = args.metricForBestModel;
    // The evaluation's own metric names: eval_loss, … or, with named sets, eval_<name>_loss, …
    const ownNames = (evalSet ?? [{ name: undefined }]).flatMap(({ name }) => BEST_MODEL_METRICS.map((m) => metricName(name, m.slice('eval_'.length))));
    const lossNames = ownNames.filter((m) => m.endsWith('_loss'));
    const ownMetric = metric === undefined || ownNames.includes(metric);
    if (this.init.computeMetrics !== undefined && !args.predictWithGenerate) {
      throw new VedError('INVALID_OPTION', 'computeMetrics scores generated texts: turn predictWithGenerate on (its default).');
    }
    if (!ownMetric && this.init.computeMetrics === undefined) {
      const named = evalSet?.some((s) => s.name !== undefined) ? '; with named evaluation datasets, name one of theirs' : '';
      throw new VedError('INVALID_OPTION', `metricForBestModel ${JSON.stringify(metric)} is none of the evaluation's metrics (${ownNames.join(', ')})${named}; or give a computeMetrics that returns it.`);
    }
    if (metric !== undefined && !lossNames.includes(metric) && tokenizer === undefined) {
      throw new VedError('INVALID_OPTION', `metricForBestModel ${JSON.stringify(metric)} scores generated texts: give the Trainer a tokenizer to decode them.`);
    }
    return {
      train,
      eval: evalSet,
      plan,
      session,
      optimizer,
      schedule,
      order:
        args.trainSamplingStrategy === 'group_by_length'
          ? new LengthGroupedOrder(
              train.map((e) => e.labels.length),
              args.batchSize * args.gradientAccumulationSteps,
              args.seed,
              (epoch) => this.loaderDrawsBefore(epoch),
            )
          : new EpochOrder(train.length, args.shuffle, args.dataSeed ?? args.seed),
      fingerprint: await modelFingerprint(model.config.encoderType, model.config.decoderType, model.weights),
      padTokenId: top.pad_token_id as number,
      decoderStartTokenId: top.decoder_start_token_id as number,
      exampleOptions: common,
    };
  }

  /** The evaluation set, or the named sets in their order (HF evaluates an `eval_dataset` dict in its order). */
  private async prepareEvalSets(
    given: TrainerInit<Image>['evalDataset'],
    common: Omit<Parameters<typeof prepareExamples>[1], 'label'>,
  ): Promise<EvalSet<Image>[] | undefined> {
    if (given === undefined) return undefined;
    const iterable = Symbol.iterator in given || Symbol.asyncIterator in given;
    if (iterable) return [{ name: undefined, examples: await prepareExamples(given as TrainingDataset<Image>, { ...common, label: 'evaluation dataset' }) }];
    const entries = Object.entries(given as Readonly<Record<string, TrainingDataset<Image>>>);
    if (entries.length === 0) throw new VedError('INVALID_OPTION', 'evalDataset is an empty set of named datasets; give at least one, or none.');
    const sets: EvalSet<Image>[] = [];
    for (const [name, dataset] of entries) {
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        throw new VedError('INVALID_OPTION', `evalDataset name ${JSON.stringify(name)}: expected letters, digits and _ (it names the metrics, eval_${name}_loss).`);
      }
      sets.push({ name, examples: await prepareExamples(dataset, { ...common, label: `evaluation dataset "${name}"` }) });
    }
    return sets;
  }

  /**
   * The order an evaluation visits its examples in: theirs, or with `group_by_length` as `_get_eval_sampler`'s
   * `LengthGroupedSampler` (batches of `evalBatchSize`, its own generator seeded with `data_seed`, else `seed`) — the
   * batches' make-up moves the mean loss, and `predict` returns its outputs in this order, as Python's.
   */
  private evaluationOrder(examples: readonly PreparedExample<Image>[]): readonly PreparedExample<Image>[] {
    if (this.args.trainSamplingStrategy !== 'group_by_length') return examples;
    const generator = new TorchCpuGenerator(this.args.dataSeed ?? this.args.seed);
    return lengthGroupedIndices(examples.map((e) => e.labels.length), this.args.evalBatchSize, generator).map((i) => examples[i]!);
  }

  /** How many evaluation and `predict` iterators had drawn from torch's global generator when `epoch` began. */
  private loaderDrawsBefore(epoch: number): number {
    const drawn = this.loaderDraws.epochStarts[epoch];
    if (drawn === undefined) throw new Error(`The length-grouped order of epoch ${epoch} was asked for before the epoch began.`);
    return drawn;
  }

  private shapeOf(name: string, session: TrainingSessionLike): readonly number[] {
    const weights = this.init.model.weights;
    return weights.has(name) ? weights.info(name).shape : [session.parameters.get(name)?.length ?? 0];
  }

  /** Runs the training loop to `maxSteps` (or `numTrainEpochs`); rejects with the signal's reason when aborted. */
  async train(options: TrainOptions = {}): Promise<TrainOutput> {
    const p = await this.prepare();
    if (options.resumeFromCheckpoint !== undefined) await this.resume(p, options.resumeFromCheckpoint);
    const { plan } = p;
    const startStep = this.globalStep;
    this.init.callbacks?.onTrainBegin?.({ plan, startStep });
    const steps: StepMetrics[] = [];
    const evaluations: EvalMetrics[] = [];
    let stoppedEarly = false;
    // eval_on_start: an evaluation before the first update (of this call), which early stopping counts but which
    // neither chooses a best model nor moves an evaluation-driven schedule (Trainer._evaluate's skip_scheduler).
    let stopRequested = false;
    if (this.args.evalOnStart && p.eval !== undefined) {
      const drawn = this.loaderDraws.total;
      const round = await this.evaluateDatasets(options.signal !== undefined ? { signal: options.signal } : {});
      evaluations.push(...round);
      if (this.best.tracked) stopRequested = this.best.countPatience(this.best.metricOf(round));
      // A resumed run's generator is the checkpoint's (`_load_rng_state` after eval_on_start).
      if (options.resumeFromCheckpoint !== undefined) this.loaderDraws.total = drawn;
    }
    let end = false;
    if (this.afterUpdatePending) {
      // The checkpoint was saved while its update's evaluation ran (Ctrl-C): that evaluation comes first.
      ({ end, stoppedEarly } = await this.afterUpdate(p, this.globalStep, evaluations, stopRequested, options.signal));
      stopRequested = false;
    }
    for (let step = startStep + 1; step <= plan.totalSteps && !end; step++) {
      this.init.callbacks?.onStepBegin?.({ step });
      const { epoch, batches, lossSum, examples, tokens, learningRate, gradNorm } = await this.update(p, step, options.signal);
      this.globalStep = step;
      this.best.weightsChanged();
      this.afterUpdatePending = true;
      this.epoch = epoch + (batches[batches.length - 1]! + 1) / plan.batchesPerEpoch;
      const metrics: StepMetrics = { step, totalSteps: plan.totalSteps, epoch: this.epoch, loss: lossSum / batches.length, learningRate, gradNorm, examples, tokens };
      steps.push(metrics);
      this.logWindow.lossSum += metrics.loss;
      this.logWindow.learningRate = learningRate;
      this.logWindow.gradNorm = gradNorm;
      this.init.callbacks?.onStep?.(metrics);
      ({ end, stoppedEarly } = await this.afterUpdate(p, step, evaluations, stopRequested, options.signal));
      stopRequested = false;
    }
    const trainingLoss = steps.length === 0 ? Number.NaN : steps.reduce((s, m) => s + m.loss, 0) / steps.length;
    const { metric, globalStep, modelStep } = this.best;
    return {
      globalStep: this.globalStep,
      trainingLoss,
      steps,
      evaluations,
      ...(metric !== undefined ? { bestMetric: metric } : {}),
      ...(globalStep !== undefined ? { bestGlobalStep: globalStep } : {}),
      ...(modelStep !== undefined ? { bestModelStep: modelStep } : {}),
      stoppedEarly,
    };
  }

  /**
   * What follows update `step`, as HF Trainer's loop runs it: `DefaultFlowCallback.on_step_end` and
   * `_maybe_log_save_evaluate` (the evaluation every evalSteps updates from evalDelay on and after the last —
   * without an evaluation strategy, ved's after the last —, the schedule and best model it moves, early stopping,
   * the checkpoint every saveSteps updates and after the last, or at each new best); then, where the update ends
   * an epoch or training stops, `on_epoch_end` and `_maybe_log_save_evaluate` again (the evaluation and checkpoint
   * of the "epoch" strategies); then `_load_best_model` and ved's save of the model training ends with. Until the
   * evaluations' bookkeeping is done a checkpoint records it as pending, so that a run stopped during one (Ctrl-C)
   * runs what follows the update first when resumed.
   */
  private async afterUpdate(
    p: Prepared<Image>,
    step: number,
    evaluations: EvalMetrics[],
    stopRequested: boolean,
    signal: AbortSignal | undefined,
  ): Promise<{ end: boolean; stoppedEarly: boolean }> {
    const { evalStrategy, saveStrategy, evalDelay } = this.args;
    const { plan } = p;
    const last = step === plan.totalSteps;
    let stop = stopRequested;
    let saved = false;
    const maybeEvaluateAndSave = async (evaluate: boolean, scheduledSave: boolean) => {
      let newBest = false;
      if (evaluate && p.eval !== undefined) {
        const round = await this.evaluateDatasets(signal !== undefined ? { signal } : {});
        evaluations.push(...round);
        // Trainer._evaluate steps ReduceLROnPlateau / GreedyLR with metric_for_best_model ("loss" by default).
        if (p.schedule.followsEvaluations) p.schedule.reportEvaluation(this.best.metricOf(round));
        if (this.best.tracked) {
          const tracked = this.best.track(round);
          newBest = tracked.newBest;
          stop ||= tracked.stop;
        }
      }
      if (saveStrategy === 'best' ? newBest : scheduledSave) {
        this.best.checkpointSaved(step, p.session.parameters);
        saved = true;
      }
    };
    // on_step_end
    const { evalSteps, saveSteps, loggingSteps } = plan;
    const { loggingStrategy } = this.args;
    if ((step === 1 && this.args.loggingFirstStep) || (loggingStrategy === 'steps' && step % loggingSteps === 0)) this.log(step);
    const stepEval = evalStrategy === 'steps' ? (step % evalSteps! === 0 || last) && evalDelay <= step : evalStrategy === undefined && last;
    await maybeEvaluateAndSave(stepEval, saveStrategy === 'steps' && saveSteps !== undefined && (step % saveSteps === 0 || last));
    // on_epoch_end: after the epoch's last batch, or where training stops inside an epoch.
    const { batches } = updateBatches(plan, this.args.gradientAccumulationSteps, step);
    if (batches[batches.length - 1] === plan.batchesPerEpoch - 1 || last || stop) {
      if (loggingStrategy === 'epoch') this.log(step);
      await maybeEvaluateAndSave(evalStrategy === 'epoch' && evalDelay <= this.epoch, saveStrategy === 'epoch');
    }
    // A stop asked for by the evaluation before training comes after the first update, as in Python.
    const stoppedEarly = stop && !last;
    const end = last || stoppedEarly;
    // _finalize_training → _load_best_model, before ved's save after the last update: that save holds the model
    // training ends with, as `trainer.save_model()` after `train()` does in Python.
    if (end && this.args.loadBestModelAtEnd) this.best.loadInto(p.session.parameters);
    this.afterUpdatePending = false;
    if (this.init.saveCheckpoint !== undefined && (saved || end)) {
      await this.init.saveCheckpoint(await this.checkpointFiles(), step);
      this.init.callbacks?.onSave?.({ step });
    }
    return { end, stoppedEarly };
  }

  /** `_maybe_log_save_evaluate`'s log: the mean loss of the updates since the last entry, with the last one's rate and norm. */
  private log(step: number): void {
    const w = this.logWindow;
    if (step <= w.lastLogged) return;
    this.logHistory.push({ epoch: this.epoch, grad_norm: w.gradNorm, learning_rate: w.learningRate, loss: w.lossSum / (step - w.lastLogged), step });
    w.lossSum = 0;
    w.lastLogged = step;
  }

  /**
   * One optimizer update: forward and backward of its micro-batches, clipping and the step. A method of its
   * own so that the gradients die with its frame: a variable of `train`'s loop body would stay referenced by
   * the suspended async function until assigned again, i.e. through the next update's run (913 MiB more at
   * the peak on ViT-B/16 + GPT-2, and a collection at the step's start could not free them).
   */
  private async update(p: Prepared<Image>, step: number, signal: AbortSignal | undefined) {
    const { plan, session, optimizer, schedule } = p;
    const { epoch, batches } = updateBatches(plan, this.args.gradientAccumulationSteps, step);
    this.loaderDraws.epochStarts[epoch] ??= this.loaderDraws.total;
    const order = p.order.epoch(epoch);
    const scale = f(1 / batches.length);
    let grads: Map<string, Float32Array> | undefined;
    let lossSum = 0;
    let examples = 0;
    let tokens = 0;
    for (const [microBatch, b] of batches.entries()) {
      await yieldToEventLoop();
      signal?.throwIfAborted();
      const batch = order.slice(b * this.args.batchSize, (b + 1) * this.args.batchSize).map((i) => p.train[i]!);
      const pixelValues = await this.prepareBatch(batch);
      const collated = collateLabels(batch.map((e) => e.labels), p.padTokenId, p.decoderStartTokenId);
      // Dropout masks keyed by (seed, update, micro-batch): a resumed run draws what an uninterrupted one draws.
      const result = await session.step({ pixelValues, labels: collated.labels, decoderInputIds: collated.decoderInputIds }, { dropoutStep: step, microBatch });
      if (!Number.isFinite(result.loss)) {
        throw new TrainingDivergedError(step, 'loss', result.loss, `batch of ${describeBatch(batch)}`);
      }
      lossSum += result.loss;
      examples += batch.length;
      tokens += collated.tokens;
      grads = accumulate(grads, result.grads, scale, batches.length);
    }
    // clip_grad_norm_ (the norm is measured also with clipping off); the optimizer applies its coefficient as it reads each gradient.
    const learningRate = schedule.rateAt(step - 1);
    const parallel = this.init.parallelUpdates;
    const { maxGradNorm } = this.args;
    let gradNorm: number;
    if (parallel !== undefined && optimizer instanceof AdamW) {
      gradNorm = await optimizer.stepParallel(parallel, session.parameters, grads!, learningRate, { maxGradNorm });
    } else {
      gradNorm = totalGradNorm(grads!.values());
      if (Number.isFinite(gradNorm)) optimizer.step(session.parameters, grads!, learningRate, clipCoefficient(gradNorm, maxGradNorm));
    }
    if (!Number.isFinite(gradNorm)) throw new TrainingDivergedError(step, 'grad_norm', gradNorm, 'a gradient overflowed');
    return { epoch, batches, lossSum, examples, tokens, learningRate, gradNorm };
  }

  /**
   * Evaluates the current weights on the evaluation dataset — the Trainer's, or `options.evalDataset` — when it is
   * one set (with named sets, `evaluateDatasets`). Logged and reported to `onEvaluate` as HF's `evaluate()`; an
   * AbortSignal alone is `{ signal }`.
   */
  async evaluate(options?: AbortSignal | EvaluateOptions<Image>): Promise<EvalMetrics> {
    const opts = evaluateOptions(options);
    const p = await this.prepare();
    const sets = await this.setsToEvaluate(p, opts, 'evaluate()');
    if (sets.length > 1 || sets[0]!.name !== undefined) {
      const whose = opts.evalDataset !== undefined ? 'the evalDataset given' : 'the evalDataset';
      throw new VedError('INVALID_OPTION', `evaluate() gives one evaluation; ${whose} is named sets (${sets.map((s) => s.name).join(', ')}): evaluateDatasets() evaluates each.`);
    }
    return (await this.evaluateSets(p, sets, opts))[0]!;
  }

  /**
   * Evaluates the current weights on each evaluation set in turn (HF's `evaluate()` of an `eval_dataset` dict): one
   * `EvalMetrics` per set (`dataset` naming it), each logged under its prefix (`eval_<name>_loss`, …).
   */
  async evaluateDatasets(options?: AbortSignal | EvaluateOptions<Image>): Promise<EvalMetrics[]> {
    const opts = evaluateOptions(options);
    const p = await this.prepare();
    return this.evaluateSets(p, await this.setsToEvaluate(p, opts, 'evaluateDatasets()'), opts);
  }

  private async setsToEvaluate(p: Prepared<Image>, opts: EvaluateOptions<Image>, caller: string): Promise<EvalSet<Image>[]> {
    if (opts.evalDataset !== undefined) return (await this.prepareEvalSets(opts.evalDataset, p.exampleOptions))!;
    if (p.eval === undefined) throw new VedError('INVALID_OPTION', `${caller} needs an evalDataset (the Trainer's, or the call's).`);
    return p.eval;
  }

  private async evaluateSets(p: Prepared<Image>, sets: readonly EvalSet<Image>[], opts: EvaluateOptions<Image>): Promise<EvalMetrics[]> {
    const prefix = metricKeyPrefix(opts.metricKeyPrefix, 'eval');
    const round: EvalMetrics[] = [];
    for (const set of sets) {
      const { metrics: result } = await this.runEvaluation(p, this.evaluationOrder(set.examples), opts);
      // Its DataLoader's base seed, counted once it completed: a stopped evaluation runs again on resume.
      this.loaderDraws.total++;
      const metrics: EvalMetrics = {
        step: this.globalStep,
        epoch: this.epoch,
        ...(set.name !== undefined ? { dataset: set.name } : {}),
        ...(prefix !== 'eval' ? { metricKeyPrefix: prefix } : {}),
        ...result,
      };
      this.logHistory.push({ epoch: this.epoch, ...prefixedMetrics(set.name === undefined ? prefix : `${prefix}_${set.name}`, result), step: this.globalStep });
      this.init.callbacks?.onEvaluate?.(metrics);
      round.push(metrics);
    }
    return round;
  }

  /**
   * `Seq2SeqTrainer.predict(test_dataset)`: the current weights on another dataset — the generated ids and
   * texts (with `predictWithGenerate`), the labels and references, and the metrics under the `test_` prefix
   * (`test_loss`, `test_exact_match`, `test_cer` and `computeMetrics`' names; `metricKeyPrefix` changes it).
   * Nothing is logged, as in Python.
   */
  async predict(testDataset: TrainingDataset<Image>, options: PredictOptions = {}): Promise<PredictionOutput> {
    const prefix = metricKeyPrefix(options.metricKeyPrefix, 'test');
    const p = await this.prepare();
    const examples = this.evaluationOrder(await prepareExamples(testDataset, { ...p.exampleOptions, label: 'test dataset' }));
    const { metrics: result, prediction } = await this.runEvaluation(p, examples, options);
    this.loaderDraws.total++;
    return {
      ...(prediction !== undefined ? { predictionIds: prediction.predictionIds, predictions: prediction.predictions } : {}),
      labelIds: examples.map((e) => [...e.labels]),
      references: prediction?.references ?? examples.map((e) => e.text ?? ''),
      metrics: prefixedMetrics(prefix, result),
    };
  }

  private runEvaluation(p: Prepared<Image>, examples: readonly PreparedExample<Image>[], call: { signal?: AbortSignal | undefined; maxLength?: number | undefined; numBeams?: number | undefined }) {
    // Seq2SeqTrainer.evaluate / predict: the call's gen_kwargs, else generation_max_length / generation_num_beams.
    const maxLength = call.maxLength ?? this.args.generationMaxLength;
    const numBeams = call.numBeams ?? this.args.generationNumBeams;
    return runEvaluation({
      session: p.session,
      examples,
      batchSize: this.args.evalBatchSize,
      prepareBatch: (batch) => this.prepareBatch(batch),
      padTokenId: p.padTokenId,
      decoderStartTokenId: p.decoderStartTokenId,
      generateTexts: this.args.predictWithGenerate,
      generation: { ...(maxLength !== undefined ? { maxLength } : {}), ...(numBeams !== undefined ? { numBeams } : {}) },
      tokenizer: this.init.tokenizer,
      signal: call.signal,
      ...(this.init.computeMetrics !== undefined ? { computeMetrics: this.init.computeMetrics } : {}),
    });
  }

  /**
   * The checkpoint of the current state: the Hugging Face model files, `optimizer.safetensors` and `trainer_state.json`
   * (with `saveOnlyModel`, the model files and `trainer_state.json`: `_save_checkpoint` skips the optimizer's state).
   */
  async checkpointFiles(): Promise<SavedFile[]> {
    const p = await this.prepare();
    const { model } = this.init;
    const trained = new InMemoryTensors('trained weights');
    for (const [name, data] of p.session.parameters) trained.set(name, this.shapeOf(name, p.session), data);
    const weights = new TensorUnion([
      { source: trained, from: '', to: '' },
      { source: model.weights, from: '', to: '' },
    ]);
    const files = serializePretrained(model.parts, weights, model.generationConfigJson);
    if (!this.args.saveOnlyModel) {
      files.push(optimizerFile(p.optimizer.state(), (name) => this.shapeOf(name, p.session)));
      // The best weights travel for a resumed run, which needs the optimizer's state too.
      const best = this.best.file((name) => this.shapeOf(name, p.session));
      if (best !== undefined) files.push(best);
    }
    files.push({ name: TRAINER_STATE_FILE, bytes: new TextEncoder().encode(trainerStateJson(this.state(p))) });
    return files;
  }

  private state(p: Prepared<Image>): TrainerState {
    return {
      globalStep: this.globalStep,
      epoch: this.epoch,
      maxSteps: p.plan.totalSteps,
      numTrainEpochs: p.plan.epochs,
      trainBatchSize: this.args.batchSize,
      logHistory: this.logHistory,
      run: this.identity(p),
      ...(p.schedule.state !== undefined ? { lrScheduler: p.schedule.state } : {}),
      ...(this.best.tracked ? { best: this.best.state() } : {}),
      ...(this.afterUpdatePending ? { afterUpdatePending: true } : {}),
      loggingSteps: p.plan.loggingSteps,
      ...(this.args.trainSamplingStrategy === 'group_by_length' ? { loaderDraws: { total: this.loaderDraws.total, epochStarts: [...this.loaderDraws.epochStarts] } } : {}),
    };
  }

  private identity(p: Prepared<Image>): RunIdentity {
    return {
      modelFingerprint: p.fingerprint,
      weightsChecksum: weightsChecksum(p.session.parameters),
      optimizer: this.args.optim,
      seed: this.args.seed,
      shuffle: this.args.shuffle,
      // group_by_length: the evaluation sets' order is drawn from the data seed (the training order from the seed).
      ...(this.args.shuffle
        ? { dataSeed: this.args.dataSeed ?? this.args.seed, dataOrder: this.args.trainSamplingStrategy === 'group_by_length' ? ('length_grouped' as const) : ('torch' as const) }
        : {}),
      gradientAccumulationSteps: this.args.gradientAccumulationSteps,
      examples: p.train.length,
      trainable: p.session.parameters.size,
    };
  }

  /** Loads a checkpoint's trainable weights, optimizer state and step, after checking it belongs to this run. */
  private async resume(p: Prepared<Image>, files: ModelFiles): Promise<void> {
    const where = (name: string) => `${files.location}/${name}`;
    for (const name of [TRAINER_STATE_FILE, OPTIMIZER_FILE]) {
      if (!(await files.exists(name))) {
        throw new VedError(
          'FILE_NOT_FOUND',
          `${files.location} has no ${name}: it is not a checkpoint saved by ved's Trainer${name === OPTIMIZER_FILE ? ' (or it was saved with saveOnlyModel, which leaves the optimizer\'s state out)' : ''}, so training cannot resume from it.`,
        );
      }
    }
    const saved = parseTrainerState(await readText(files, TRAINER_STATE_FILE), where(TRAINER_STATE_FILE));
    const current = this.identity(p);
    if (saved.run.modelFingerprint !== current.modelFingerprint) {
      throw new VedError('INVALID_INPUT', `${files.location} holds the training state of another model: its architecture (model types, weight names and shapes) differs from the model being trained.`);
    }
    const differences = (
      [
        ['optimizer', saved.run.optimizer, current.optimizer],
        ['seed', saved.run.seed, current.seed],
        ['shuffle', saved.run.shuffle, current.shuffle],
        ['trainSamplingStrategy', saved.run.dataOrder === 'length_grouped' ? 'group_by_length' : saved.run.shuffle ? 'random' : 'sequential', this.args.trainSamplingStrategy],
        ['dataSeed', saved.run.dataSeed ?? (saved.run.shuffle ? saved.run.seed : undefined), current.dataSeed],
        ['batchSize', saved.trainBatchSize, this.args.batchSize],
        ['gradientAccumulationSteps', saved.run.gradientAccumulationSteps, current.gradientAccumulationSteps],
        ['number of training examples', saved.run.examples, current.examples],
        ['number of trainable tensors (freeze)', saved.run.trainable, current.trainable],
      ] as const
    ).filter(([, a, b]) => a !== b);
    if (differences.length > 0) {
      throw new VedError(
        'INVALID_OPTION',
        `Cannot resume exactly from ${files.location}: ${differences.map(([name, a, b]) => `${name} was ${JSON.stringify(a)}, now ${JSON.stringify(b)}`).join('; ')}. Resume with the same data and options.`,
      );
    }
    if (current.dataOrder === 'torch' && saved.run.dataOrder === undefined) {
      throw new VedError(
        'INVALID_INPUT',
        `Cannot resume exactly from ${files.location}: an earlier version of ved saved it, whose shuffled data order is not this one's (HF Trainer's torch.randperm); resume it with that version, or with shuffle off if it was trained so.`,
      );
    }
    const optimizerState = parseOptimizerFile(await files.readBytes(OPTIMIZER_FILE), where(OPTIMIZER_FILE));
    if (optimizerState.step !== saved.globalStep) {
      throw new VedError('INVALID_INPUT', `${files.location}: ${OPTIMIZER_FILE} is at step ${optimizerState.step} but ${TRAINER_STATE_FILE} at step ${saved.globalStep} (a save was interrupted?).`);
    }
    const weights = await loadWeights(files);
    for (const [name, param] of p.session.parameters) {
      if (!weights.has(name)) throw new VedError('MISSING_WEIGHT', `${files.location} has no weight "${name}", which this run trains.`);
      const data = weights.getFloat32(name);
      if (data.length !== param.length) {
        throw new VedError('WEIGHT_SHAPE_MISMATCH', `${files.location}: "${name}" has ${data.length} values, the model's has ${param.length}.`);
      }
      param.set(data);
    }
    if (weightsChecksum(p.session.parameters) !== saved.run.weightsChecksum) {
      throw new VedError('INVALID_INPUT', `${files.location}: the weights are not the ones ${TRAINER_STATE_FILE} was saved with (a save was interrupted between them?); resume from another checkpoint.`);
    }
    p.optimizer.loadState(optimizerState, p.session.parameters, where(OPTIMIZER_FILE));
    if (p.schedule.followsEvaluations) {
      if (saved.lrScheduler === undefined) throw new VedError('INVALID_INPUT', `${where(TRAINER_STATE_FILE)} has no "lr_scheduler" state, which ${this.args.lrSchedulerType} resumes from.`);
      const s = saved.lrScheduler;
      // A best metric saved as null is the initial one (inf for "min", -inf for "max").
      p.schedule.loadState({ ...s, best: Number.isNaN(s.best) ? (p.schedule.state!.best) : s.best });
    }
    await this.best.resume(saved.best, files, p.session.parameters);
    this.afterUpdatePending = saved.afterUpdatePending === true;
    // Python starts a new logging window where it resumes (`_globalstep_last_logged = global_step`). An update
    // stopped during its evaluation was logged before it (the log comes first in `_maybe_log_save_evaluate`).
    this.logWindow = { lossSum: 0, lastLogged: saved.globalStep, learningRate: 0, gradNorm: 0 };
    this.globalStep = saved.globalStep;
    this.epoch = saved.epoch;
    this.logHistory = [...saved.logHistory];
    if (this.args.trainSamplingStrategy === 'group_by_length') {
      if (saved.loaderDraws === undefined) throw new VedError('INVALID_INPUT', `${where(TRAINER_STATE_FILE)} has no "loader_draws", which the length-grouped order resumes from.`);
      this.loaderDraws = { total: saved.loaderDraws.total, epochStarts: [...saved.loaderDraws.epochStarts] };
    }
  }

  /** Preprocesses a batch's images; a failure names the example whose image failed. */
  private async prepareBatch(batch: readonly PreparedExample<Image>[]): Promise<PixelBatch> {
    try {
      return await this.init.prepareImages(batch.map((e) => e.image));
    } catch (err) {
      for (const example of batch) {
        try {
          await this.init.prepareImages([example.image]);
        } catch (single) {
          const code = single instanceof VedError ? single.code : 'INVALID_IMAGE';
          throw new VedError(code, `${example.where}: ${(single as Error).message}`, { cause: single });
        }
      }
      throw err;
    }
  }

  /**
   * A model with the current weights (copied; HF Trainer's `trainer.model`),
   * to generate with or save; the caller disposes it.
   */
  async toModel(): Promise<VisionEncoderDecoderModel> {
    return (await this.prepare()).session.toModel();
  }

  /** Releases the gradient engine's sessions. */
  async dispose(): Promise<void> {
    const prepared = this.prepared;
    this.prepared = undefined;
    if (prepared !== undefined) await (await prepared.catch(() => undefined))?.session.dispose();
  }
}

/** The end token `appendEosToken` appends: the config's `eos_token_id`, else the generation config's, else the decoder's. */
function eosOf(model: VisionEncoderDecoderModel): number {
  const first = (v: unknown): number | undefined => (typeof v === 'number' ? v : Array.isArray(v) && typeof v[0] === 'number' ? v[0] : undefined);
  const decoder = model.config.raw.decoder as Record<string, unknown> | undefined;
  const eos = first(model.config.raw.eos_token_id) ?? first(model.generationConfigJson?.eos_token_id) ?? first(decoder?.eos_token_id);
  if (eos === undefined) {
    throw new VedError('INVALID_CONFIG', `appendEosToken: ${model.config.fileName} sets no eos_token_id (top level, generation config or decoder), so there is no end token to append.`);
  }
  return eos;
}

/**
 * Adds a micro-batch's gradients, scaled by `1 / micro-batches` (torch
 * backpropagates `loss / n` and sums into `.grad` in float32), to the update's.
 */
function accumulate(acc: Map<string, Float32Array> | undefined, grads: Map<string, Float32Array>, scale: number, count: number): Map<string, Float32Array> {
  if (count === 1) return grads;
  if (acc === undefined) {
    const first = new Map<string, Float32Array>();
    for (const [name, g] of grads) {
      const out = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) out[i] = f(g[i]! * scale);
      first.set(name, out);
    }
    return first;
  }
  for (const [name, g] of grads) {
    const out = acc.get(name);
    if (out === undefined) throw new VedError('RUNTIME', `The gradient engine returned a gradient for "${name}" in one micro-batch but not in the first.`);
    for (let i = 0; i < g.length; i++) out[i] = f(out[i]! + f(g[i]! * scale));
  }
  return acc;
}

/**
 * Lets the event loop run between micro-batches: an abort message sent to a
 * Web Worker, a timer or a UI event is otherwise not handled until training
 * ends, since onnxruntime's results arrive as microtasks.
 */
function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function describeBatch(batch: readonly PreparedExample<unknown>[]): string {
  const shown = batch.slice(0, 4).map((e) => e.where);
  return shown.join('; ') + (batch.length > shown.length ? `; … (${batch.length} examples)` : '');
}

/** A metric's logged name: `eval_<metric>`, or `eval_<set>_<metric>` for a named evaluation set (HF's metric_key_prefix). */
function metricName(set: string | undefined, metric: string): string {
  return set === undefined ? `eval_${metric}` : `eval_${set}_${metric}`;
}

/** An evaluation's numbers under a prefix, as `evaluation_loop` names them: `<prefix>_loss`, `<prefix>_cer`, … */
function prefixedMetrics(prefix: string, result: EvaluationResult['metrics']): Record<string, number> {
  const metrics: Record<string, number> = { [`${prefix}_loss`]: result.evalLoss };
  if (result.exactMatch !== undefined) metrics[`${prefix}_exact_match`] = result.exactMatch;
  if (result.cer !== undefined) metrics[`${prefix}_cer`] = result.cer;
  if (result.wer !== undefined) metrics[`${prefix}_wer`] = result.wer;
  for (const [name, value] of Object.entries(result.metrics ?? {})) metrics[`${prefix}_${name}`] = value;
  return metrics;
}

/** A call's `metricKeyPrefix`, checked: it names logged metrics, so letters, digits and `_`. */
function metricKeyPrefix(given: string | undefined, fallback: string): string {
  if (given === undefined) return fallback;
  if (!/^[A-Za-z0-9_]+$/.test(given)) {
    throw new VedError('INVALID_OPTION', `metricKeyPrefix ${JSON.stringify(given)}: expected letters, digits and _ (it names the metrics, ${given}_loss).`);
  }
  return given;
}

/** `evaluate(signal)` as `evaluate({ signal })`. */
function evaluateOptions<Image>(options: AbortSignal | EvaluateOptions<Image> | undefined): EvaluateOptions<Image> {
  if (options === undefined) return {};
  return 'aborted' in options ? { signal: options } : options;
}
