/**
 * The best model of a training run, as HF Trainer keeps it (transformers/trainer.py
 * `_determine_best_metric`, `_save_checkpoint`, `_load_best_model`; `TrainerState`'s `best_metric`,
 * `best_global_step`, `best_model_checkpoint`) with `EarlyStoppingCallback`'s patience count
 * (transformers/trainer_callback.py).
 *
 * Python keeps the best checkpoint as a folder of its own; ved's Trainer keeps a copy of the best saved
 * update's trainable weights, and a checkpoint carries them as `best_model.safetensors` when they are not the
 * checkpoint's own weights, so that a resumed run loads the same weights back at the end.
 */
import { VedError, parseSafetensors, partsFile, safetensorsParts, type ModelFiles, type SavedFile } from '@ved/core';
import { BEST_MODEL_FILE, TRAINER_STATE_FILE, weightsChecksum, type BestModelState } from './checkpoint/trainer-state.js';
import type { EvalMetrics } from './evaluation.js';
import { savesCheckpoints, type ResolvedArguments } from './training-arguments.js';

type Weights = ReadonlyMap<string, Float32Array>;

export class BestModel {
  /** `best_metric`: the best value of `metricForBestModel` so far. */
  metric: number | undefined;
  /** `best_global_step`: the update of the best evaluation (kept where updates are saved). */
  globalStep: number | undefined;
  /** The best saved update (`best_model_checkpoint`), whose trainable weights `weights` holds (with `loadBestModelAtEnd`). */
  modelStep: number | undefined;
  private weights: Weights | undefined;
  /** The update last saved (a checkpoint), and whether `globalStep`'s was (Python: its folder exists). */
  private lastSaved: number | undefined;
  private bestSaved = false;
  /** The model's weights are the best's (just saved as the best, loaded back, or resumed from it). */
  private current = false;
  /** `EarlyStoppingCallback.early_stopping_patience_counter`. */
  private patienceCounter = 0;

  constructor(private readonly args: ResolvedArguments) {}

  /** Whether a best model is tracked at all (`metricForBestModel`, set or defaulted). */
  get tracked(): boolean {
    return this.args.metricForBestModel !== undefined;
  }

  /** The model's weights changed (an update): they are no longer the best's. */
  weightsChanged(): void {
    this.current = false;
  }

  /**
   * The value of `metricForBestModel` (`eval_loss` without one) in an evaluation round: one evaluation, or one per
   * named set (their metrics merged under `eval_<set>_…`, as `Trainer.evaluate` merges them for Python).
   */
  metricOf(round: EvalMetrics | readonly EvalMetrics[]): number {
    const evaluations = Array.isArray(round) ? (round as readonly EvalMetrics[]) : [round as EvalMetrics];
    const name = this.args.metricForBestModel ?? 'eval_loss';
    const merged: Record<string, number | undefined> = {};
    for (const e of evaluations) {
      const prefix = e.dataset === undefined ? 'eval' : `eval_${e.dataset}`;
      Object.assign(merged, { [`${prefix}_loss`]: e.evalLoss, [`${prefix}_exact_match`]: e.exactMatch, [`${prefix}_cer`]: e.cer, [`${prefix}_wer`]: e.wer });
      for (const [k, v] of Object.entries(e.metrics ?? {})) merged[`${prefix}_${k}`] = v;
    }
    const value = merged[name];
    if (value === undefined) {
      // Trainer._determine_best_metric's KeyError, with the metrics there are.
      const available = Object.keys(merged).filter((k) => merged[k] !== undefined);
      throw new VedError('INVALID_OPTION', `metricForBestModel is ${JSON.stringify(name)}, which the evaluation at update ${evaluations[0]?.step} did not return; it returned ${available.join(', ')}.`);
    }
    return value;
  }

  /**
   * After an evaluation: `EarlyStoppingCallback.on_evaluate` (compares with the best so far), then
   * `_determine_best_metric` (a strictly better value is the new best). Returns whether early stopping ends
   * training and whether the value is a new best.
   */
  track(round: EvalMetrics | readonly EvalMetrics[]): { stop: boolean; newBest: boolean } {
    const value = this.metricOf(round);
    const step = (Array.isArray(round) ? (round as readonly EvalMetrics[])[0]! : (round as EvalMetrics)).step;
    const stop = this.countPatience(value);
    const newBest = this.better(value, this.metric ?? (this.args.greaterIsBetter ? -Infinity : Infinity));
    if (newBest) {
      this.metric = value;
      // best_global_step is kept only where checkpoints are saved (save_strategy "steps", "epoch" or "best").
      if (savesCheckpoints(this.args)) {
        this.globalStep = step;
        // Saved already: an "epoch" evaluation after a "steps" save of the same update (mixed strategies).
        this.bestSaved = this.lastSaved === step;
      }
    }
    return { stop, newBest };
  }

  /** `EarlyStoppingCallback.on_evaluate`: counts an evaluation that does not improve on the best; whether to stop. */
  countPatience(value: number): boolean {
    const patience = this.args.earlyStoppingPatience;
    if (patience === undefined) return false;
    const improved = this.metric === undefined || (this.better(value, this.metric) && Math.abs(value - this.metric) > this.args.earlyStoppingThreshold);
    this.patienceCounter = improved ? 0 : this.patienceCounter + 1;
    return this.patienceCounter >= patience;
  }

  /**
   * `_save_checkpoint` of update `step`: the best evaluation's update becomes the best checkpoint once its own
   * checkpoint exists, i.e. at its save or (mixed strategies) the next. With `loadBestModelAtEnd` its weights are
   * kept, copied into the previous best's arrays so that two copies of a large model never coexist.
   */
  checkpointSaved(step: number, parameters: Weights): void {
    this.lastSaved = step;
    if (this.globalStep === step) {
      this.bestSaved = true;
      if (this.args.loadBestModelAtEnd) {
        this.weights = copyWeights(parameters, this.weights);
        this.current = true;
      }
    }
    if (this.bestSaved) this.modelStep = this.globalStep;
  }

  /** `_load_best_model`: the best checkpoint's weights back into the model (none saved: nothing changes). */
  loadInto(parameters: Weights): void {
    if (this.weights === undefined || this.current) return;
    for (const [name, param] of parameters) param.set(this.weights.get(name)!);
    this.current = true;
  }

  /** `best_model.safetensors`, when the best weights are not the model's current ones. */
  file(shapeOf: (name: string) => readonly number[]): SavedFile | undefined {
    if (this.weights === undefined || this.current) return undefined;
    const tensors = [...this.weights].map(([name, data]) => ({ name, dtype: 'F32' as const, shape: shapeOf(name), data }));
    return partsFile(BEST_MODEL_FILE, safetensorsParts(tensors, { format: 'pt', step: String(this.modelStep) }));
  }

  /** What `trainer_state.json` records. */
  state(): BestModelState {
    const patience = this.args.earlyStoppingPatience;
    return {
      metricName: this.args.metricForBestModel!,
      greaterIsBetter: this.args.greaterIsBetter!,
      metric: this.metric,
      globalStep: this.globalStep,
      modelStep: this.modelStep,
      weightsChecksum: this.weights === undefined ? undefined : weightsChecksum(this.weights),
      ...(this.bestSaved && this.modelStep !== this.globalStep ? { globalStepSaved: true } : {}),
      ...(patience !== undefined ? { earlyStopping: { patience, threshold: this.args.earlyStoppingThreshold, counter: this.patienceCounter } } : {}),
    };
  }

  /**
   * Continues from a checkpoint's state, with the best weights when they will be loaded back: the checkpoint's
   * own (`parameters`, just resumed) when the checksum says so, else `best_model.safetensors`.
   */
  async resume(saved: BestModelState | undefined, files: ModelFiles, parameters: Weights): Promise<void> {
    const name = this.args.metricForBestModel;
    // A run that tracked no best model: this one starts tracking at the next evaluation.
    if (name === undefined || saved === undefined) return;
    if (saved.metricName !== name) {
      throw new VedError('INVALID_OPTION', `Cannot resume exactly from ${files.location}: its best model was chosen by ${saved.metricName}, this run's metricForBestModel is ${name}.`);
    }
    if (saved.greaterIsBetter !== undefined && saved.greaterIsBetter !== this.args.greaterIsBetter) {
      throw new VedError('INVALID_OPTION', `Cannot resume exactly from ${files.location}: its best ${name} was the ${saved.greaterIsBetter ? 'highest' : 'lowest'}, this run's greaterIsBetter is ${this.args.greaterIsBetter}.`);
    }
    this.metric = saved.metric;
    this.globalStep = saved.globalStep;
    this.modelStep = saved.modelStep;
    this.bestSaved = saved.globalStep !== undefined && (saved.modelStep === saved.globalStep || saved.globalStepSaved === true);
    this.patienceCounter = saved.earlyStopping?.counter ?? 0;
    if (saved.modelStep === undefined || saved.weightsChecksum === undefined) return;
    if (weightsChecksum(parameters) === saved.weightsChecksum) {
      this.weights = copyWeights(parameters);
      this.current = true;
      return;
    }
    const where = `${files.location}/${BEST_MODEL_FILE}`;
    if (!(await files.exists(BEST_MODEL_FILE))) {
      if (!this.args.loadBestModelAtEnd) return;
      throw new VedError('FILE_NOT_FOUND', `${files.location} has no ${BEST_MODEL_FILE}, the weights of update ${saved.modelStep} (the best so far by ${files.location}/${TRAINER_STATE_FILE}), which loadBestModelAtEnd loads back.`);
    }
    const file = parseSafetensors(await files.readBytes(BEST_MODEL_FILE), where);
    const weights = new Map<string, Float32Array>();
    for (const [tensor, param] of parameters) {
      if (!file.has(tensor)) throw new VedError('MISSING_WEIGHT', `${where} has no weight "${tensor}", which this run trains.`);
      const data = Float32Array.from(file.getFloat32(tensor));
      if (data.length !== param.length) throw new VedError('WEIGHT_SHAPE_MISMATCH', `${where}: "${tensor}" has ${data.length} values, the model's has ${param.length}.`);
      weights.set(tensor, data);
    }
    if (weightsChecksum(weights) !== saved.weightsChecksum) {
      throw new VedError('INVALID_INPUT', `${where} does not hold the weights ${files.location}/${TRAINER_STATE_FILE} records for update ${saved.modelStep} (a save was interrupted?).`);
    }
    this.weights = weights;
  }

  private better(a: number, b: number): boolean {
    return this.args.greaterIsBetter ? a > b : a < b;
  }
}

/** A copy of each weight, into the arrays of `into` when given. */
function copyWeights(parameters: Weights, into?: Weights): Weights {
  if (into !== undefined) {
    for (const [name, data] of parameters) into.get(name)!.set(data);
    return into;
  }
  return new Map([...parameters].map(([name, data]) => [name, Float32Array.from(data)]));
}
