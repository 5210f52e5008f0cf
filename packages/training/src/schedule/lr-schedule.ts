/**
 * Learning-rate schedules as transformers' `get_scheduler` builds them
 * (transformers/optimization.py): a `torch.optim.lr_scheduler.LambdaLR` whose
 * rate for update `step` (0-based: the first update uses step 0) is
 * `learning_rate * lambda(step)`, with
 *
 * - `constant`: 1;
 * - `constant_with_warmup`: `step / max(1, warmup)` during warmup, then 1
 *   (`_get_constant_schedule_with_warmup_lr_lambda`);
 * - `linear`: warmup, then `max(0, (total - step) / max(1, total - warmup))`
 *   (`_get_linear_schedule_with_warmup_lr_lambda`);
 * - `cosine`: warmup, then `max(0, 0.5 · (1 + cos(π · 2 · cycles · progress)))` with
 *   `progress = (step - warmup) / max(1, total - warmup)` and `cycles = 0.5`
 *   (`_get_cosine_schedule_with_warmup_lr_lambda`).
 *
 * HF Trainer logs the rate an update used (`_get_learning_rate` after
 * `optimizer.step()`, before `lr_scheduler.step()`): `rateAt(step)` is that value.
 *
 * Like HF's `constant` (`get_constant_schedule`, which takes no warmup),
 * `constant` ignores `warmupSteps`; ved's CLI maps `--schedule constant` with
 * `--warmup-steps N > 0` to `constant_with_warmup`.
 */
import { VedError } from '@ved/core';

export const SCHEDULER_TYPES = ['constant', 'constant_with_warmup', 'linear', 'cosine'] as const;
export type SchedulerType = (typeof SCHEDULER_TYPES)[number];

export interface ScheduleOptions {
  /** `lr_scheduler_type` (default `linear`, as TrainingArguments). */
  type?: SchedulerType;
  /** The base rate (`learning_rate`). */
  learningRate: number;
  /** `num_warmup_steps` (default 0). */
  warmupSteps?: number;
  /** `num_training_steps` (needed by `linear` and `cosine`). */
  totalSteps?: number;
  /** `num_cycles` of `cosine` (default 0.5: one half-cosine from the base rate to 0). */
  numCycles?: number;
}

export class LearningRateSchedule {
  readonly type: SchedulerType;
  readonly learningRate: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly numCycles: number;

  constructor(options: ScheduleOptions) {
    this.type = options.type ?? 'linear';
    if (!SCHEDULER_TYPES.includes(this.type)) {
      throw new VedError('INVALID_OPTION', `lrSchedulerType is ${JSON.stringify(this.type)}; expected one of ${SCHEDULER_TYPES.map((t) => JSON.stringify(t)).join(', ')}.`);
    }
    this.learningRate = options.learningRate;
    if (!Number.isFinite(this.learningRate) || this.learningRate < 0) {
      throw new VedError('INVALID_OPTION', `learningRate must be a non-negative number, got ${options.learningRate}.`);
    }
    this.warmupSteps = options.warmupSteps ?? 0;
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0) {
      throw new VedError('INVALID_OPTION', `warmupSteps must be a non-negative integer, got ${options.warmupSteps}.`);
    }
    const needsTotal = this.type === 'linear' || this.type === 'cosine';
    if (needsTotal && options.totalSteps === undefined) {
      throw new VedError('INVALID_OPTION', `The ${this.type} schedule needs the number of training steps (totalSteps).`);
    }
    this.totalSteps = options.totalSteps ?? 0;
    if (!Number.isInteger(this.totalSteps) || this.totalSteps < 0) {
      throw new VedError('INVALID_OPTION', `totalSteps must be a non-negative integer, got ${options.totalSteps}.`);
    }
    this.numCycles = options.numCycles ?? 0.5;
  }

  /** The factor `lambda(step)` of `LambdaLR`. */
  factor(step: number): number {
    const warmup = this.warmupSteps;
    switch (this.type) {
      case 'constant':
        return 1;
      case 'constant_with_warmup':
        return step < warmup ? step / Math.max(1, warmup) : 1;
      case 'linear':
        if (step < warmup) return step / Math.max(1, warmup);
        return Math.max(0, (this.totalSteps - step) / Math.max(1, this.totalSteps - warmup));
      case 'cosine': {
        if (step < warmup) return step / Math.max(1, warmup);
        const progress = (step - warmup) / Math.max(1, this.totalSteps - warmup);
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * this.numCycles * 2 * progress)));
      }
    }
  }

  /** The learning rate update `step` (0-based) uses: `learning_rate * lambda(step)`, in double as LambdaLR. */
  rateAt(step: number): number {
    return this.learningRate * this.factor(step);
  }
}
