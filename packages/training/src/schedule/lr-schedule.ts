/**
 * Learning-rate schedules as transformers' `get_scheduler` builds them
 * (transformers/optimization.py): a `torch.optim.lr_scheduler.LambdaLR` whose
 * rate for update `step` (0-based: the first update uses step 0) is
 * `learning_rate * lambda(step)`. Every `LambdaLR` schedule of `SchedulerType`,
 * each with the `lr_scheduler_kwargs` its function takes (`ScheduleOptions.kwargs`,
 * snake_case as in Python). "Warmup" is `step / max(1, warmup)` before `warmup` steps,
 * and `progress = (step - warmup) / max(1, total - warmup)`:
 *
 * - `constant`: 1 (`get_constant_schedule`; Python ignores warmup and kwargs);
 * - `constant_with_warmup`: warmup, then 1 (kwargs ignored, as in Python);
 * - `linear`: warmup, then `max(0, (total - step) / max(1, total - warmup))`;
 * - `cosine` (`num_cycles` 0.5): warmup, then `max(0, 0.5 (1 + cos(π · 2 · num_cycles · progress)))`;
 * - `cosine_with_restarts` (`num_cycles` 1): warmup, then 0 once `progress >= 1`, else
 *   `max(0, 0.5 (1 + cos(π · ((num_cycles · progress) % 1))))`;
 * - `polynomial` (`lr_end` 1e-7, below the base rate; `power` 1): warmup, then
 *   `((lr - lr_end) · (1 - progress)^power + lr_end) / lr`, and `lr_end / lr` after `total`;
 * - `inverse_sqrt` (`timescale`: the warmup, or 10 000 without one): warmup, then
 *   `1 / sqrt((step + timescale - warmup) / timescale)`;
 * - `cosine_with_min_lr` (`num_cycles` 0.5; one of `min_lr`, `min_lr_rate`): `cosine`'s factor `f` as
 *   `max(0, f (1 - rate) + rate)`;
 * - `cosine_warmup_with_min_lr` (the same, and `warmup_lr_rate`): warmup `(step + 1) / max(1, warmup)`, or
 *   `r + (1 - r) step / max(1, warmup - 1)` with `warmup_lr_rate` r, then the cosine with progress one
 *   step further, `(step - warmup + 1) / max(1, total - warmup)`;
 * - `warmup_stable_decay` (`num_decay_steps` required; `num_stable_steps` (total - warmup - decay),
 *   `warmup_type` and `decay_type` `linear` | `cosine` | `1-sqrt` (linear, cosine), `min_lr_ratio` 0,
 *   `num_cycles` 0.5): warmup, stable at 1, decay, then `min_lr_ratio` (`get_wsd_schedule`).
 *
 * `reduce_lr_on_plateau` is torch's `ReduceLROnPlateau` (`get_reduce_on_plateau_schedule`; kwargs `mode`
 * (min), `factor` (0.1, below 1), `patience` (10), `threshold` (1e-4), `threshold_mode` (rel), `cooldown`
 * (0), `min_lr` (0), `eps` (1e-8)): no warmup, the rate stays until `reportEvaluation(evalLoss)` — which HF
 * Trainer calls with `eval_loss` after each scheduled evaluation — has seen more than `patience` evaluations
 * without improvement, then it is multiplied by `factor`. `greedy` is transformers' `GreedyLR`
 * (`get_greedy_schedule`; kwargs `mode` (min), `factor` (0.95, below 1), `patience` (10), `threshold` (1e-6),
 * `threshold_mode` (abs), `cooldown` (0), `warmup` (0), `min_lr` (1e-3), `max_lr` (1.0), `eps` (1e-8), `verbose`,
 * `smooth` (false), `window_size` (50), `reset_start` (500)), stepped the same way: after more than `patience`
 * improving evaluations in a row the rate is divided by `factor` (up to `max_lr`, then `warmup` evaluations
 * pass unjudged), after more than `patience` others multiplied by it (down to `min_lr`, then `cooldown`), and
 * after `reset_start` reductions at `min_lr` everything starts over at the base rate; with `smooth` the metric
 * is first averaged over the last `window_size` evaluations. `min_lr` and `max_lr` are single numbers (Python
 * also takes one per parameter group). Kwargs a schedule does not take are refused, as Python's functions raise
 * `TypeError`.
 *
 * HF Trainer logs the rate an update used (`_get_learning_rate` after
 * `optimizer.step()`, before `lr_scheduler.step()`): `rateAt(step)` is that value.
 *
 * ved's CLI maps `--schedule constant` with `--warmup-steps N > 0` to `constant_with_warmup`.
 */
import { VedError } from '@ved/core';

export const SCHEDULER_TYPES = [
  'constant',
  'constant_with_warmup',
  'linear',
  'cosine',
  'cosine_with_restarts',
  'polynomial',
  'inverse_sqrt',
  'cosine_with_min_lr',
  'cosine_warmup_with_min_lr',
  'warmup_stable_decay',
  'reduce_lr_on_plateau',
  'greedy',
] as const;
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
  /** `lr_scheduler_kwargs`: the schedule function's own arguments, snake_case as in Python (see above). */
  kwargs?: Readonly<Record<string, unknown>>;
}

/** Each schedule's kwargs: the arguments of its function in optimization.py besides the optimizer and step counts. */
const KWARGS: Record<SchedulerType, readonly string[]> = {
  constant: [],
  constant_with_warmup: [],
  linear: [],
  cosine: ['num_cycles'],
  cosine_with_restarts: ['num_cycles'],
  polynomial: ['lr_end', 'power'],
  inverse_sqrt: ['timescale'],
  cosine_with_min_lr: ['num_cycles', 'min_lr', 'min_lr_rate'],
  cosine_warmup_with_min_lr: ['num_cycles', 'min_lr', 'min_lr_rate', 'warmup_lr_rate'],
  warmup_stable_decay: ['num_decay_steps', 'num_stable_steps', 'warmup_type', 'decay_type', 'min_lr_ratio', 'num_cycles'],
  reduce_lr_on_plateau: ['mode', 'factor', 'patience', 'threshold', 'threshold_mode', 'cooldown', 'min_lr', 'eps'],
  greedy: ['mode', 'factor', 'patience', 'threshold', 'threshold_mode', 'cooldown', 'warmup', 'min_lr', 'max_lr', 'eps', 'verbose', 'smooth', 'window_size', 'reset_start'],
};

/** `ReduceLROnPlateau`'s (or `GreedyLR`'s) counters: what a checkpoint keeps for an exact resume. */
export interface PlateauState {
  lr: number;
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
  /** `GreedyLR` only: its other counters and, with `smooth`, the averaged window. */
  greedy?: { numGoodEpochs: number; warmupCounter: number; resetStart: number; window: number[]; windowSum: number };
}
const WSD_SHAPES = ['linear', 'cosine', '1-sqrt'] as const;
type WsdShape = (typeof WSD_SHAPES)[number];


export class LearningRateSchedule {
  readonly type: SchedulerType;
  readonly learningRate: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly numCycles: number;
  private readonly lrEnd: number;
  private readonly power: number;
  private readonly timescale: number;
  private readonly minLrRate: number;
  private readonly warmupLrRate: number | undefined;
  private readonly decaySteps: number;
  private readonly stableSteps: number;
  private readonly warmupShape: WsdShape;
  private readonly decayShape: WsdShape;
  private readonly minLrRatio: number;

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
    const needsTotal = !['constant', 'constant_with_warmup', 'inverse_sqrt', 'reduce_lr_on_plateau', 'greedy'].includes(this.type);
    if (needsTotal && options.totalSteps === undefined) {
      throw new VedError('INVALID_OPTION', `The ${this.type} schedule needs the number of training steps (totalSteps).`);
    }
    this.totalSteps = options.totalSteps ?? 0;
    if (!Number.isInteger(this.totalSteps) || this.totalSteps < 0) {
      throw new VedError('INVALID_OPTION', `totalSteps must be a non-negative integer, got ${options.totalSteps}.`);
    }
    const kwargs = options.kwargs ?? {};
    const given = (name: string) => kwargs[name] !== undefined && kwargs[name] !== null;
    // get_scheduler passes no kwargs to constant and constant_with_warmup: Python ignores them there.
    if (this.type !== 'constant' && this.type !== 'constant_with_warmup') {
      const unknown = Object.keys(kwargs).filter((k) => !KWARGS[this.type].includes(k));
      if (unknown.length > 0) {
        const takes = KWARGS[this.type].length > 0 ? `it takes ${KWARGS[this.type].map((k) => JSON.stringify(k)).join(', ')}` : 'it takes none';
        throw new VedError('INVALID_OPTION', `lrSchedulerKwargs: the ${this.type} schedule has no ${unknown.map((k) => JSON.stringify(k)).join(', ')} (${takes}).`);
      }
    }
    const number = (name: string, fallback: number, check: (v: number) => boolean = Number.isFinite, expected = 'a number'): number => {
      const v = given(name) ? kwargs[name] : fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
        throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.${name} is ${JSON.stringify(kwargs[name])}; expected ${expected}.`);
      }
      return v;
    };
    const shape = (name: string, fallback: WsdShape): WsdShape => {
      const v = given(name) ? kwargs[name] : fallback;
      if (!WSD_SHAPES.includes(v as WsdShape)) {
        throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.${name} is ${JSON.stringify(v)}; expected "linear", "cosine" or "1-sqrt".`);
      }
      return v as WsdShape;
    };
    this.numCycles = number('num_cycles', this.type === 'cosine_with_restarts' ? 1 : 0.5);
    this.lrEnd = number('lr_end', 1e-7);
    this.power = number('power', 1);
    if (this.type === 'polynomial' && this.warmupSteps === this.totalSteps && this.totalSteps > 0) {
      // LambdaLR evaluates the factor once more after the last update, at step = total: decay_steps is 0 there.
      throw new VedError(
        'INVALID_OPTION',
        `The polynomial schedule with as many warmup steps as training steps (${this.totalSteps}) divides by zero in transformers (get_polynomial_decay_schedule_with_warmup: num_training_steps - num_warmup_steps); use fewer warmup steps.`,
      );
    }
    if (this.type === 'polynomial' && !(this.learningRate > this.lrEnd)) {
      throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.lr_end (${this.lrEnd}) must be smaller than the learning rate (${this.learningRate}), as get_polynomial_decay_schedule_with_warmup requires.`);
    }
    this.timescale = number('timescale', this.warmupSteps || 10_000, (v) => v > 0, 'a positive number');
    this.minLrRate = 0;
    if (this.type === 'cosine_with_min_lr' || this.type === 'cosine_warmup_with_min_lr') {
      if (given('min_lr') && given('min_lr_rate')) throw new VedError('INVALID_OPTION', `lrSchedulerKwargs: give "min_lr" or "min_lr_rate" for ${this.type}, not both.`);
      if (!given('min_lr') && !given('min_lr_rate')) throw new VedError('INVALID_OPTION', `lrSchedulerKwargs: ${this.type} needs "min_lr" or "min_lr_rate".`);
      if (given('min_lr') && this.learningRate === 0) throw new VedError('INVALID_OPTION', 'lrSchedulerKwargs.min_lr needs a learning rate above 0 (Python divides by it); give "min_lr_rate".');
      this.minLrRate = given('min_lr') ? number('min_lr', 0) / this.learningRate : number('min_lr_rate', 0);
    }
    this.warmupLrRate = given('warmup_lr_rate') ? number('warmup_lr_rate', 0) : undefined;
    if (this.type === 'warmup_stable_decay' && !given('num_decay_steps')) {
      throw new VedError('INVALID_OPTION', 'lrSchedulerKwargs: the warmup_stable_decay schedule needs "num_decay_steps".');
    }
    this.decaySteps = number('num_decay_steps', 0, Number.isInteger, 'a whole number of steps');
    this.stableSteps = number('num_stable_steps', this.totalSteps - this.warmupSteps - this.decaySteps, Number.isInteger, 'a whole number of steps');
    this.warmupShape = shape('warmup_type', 'linear');
    this.decayShape = shape('decay_type', 'cosine');
    this.minLrRatio = number('min_lr_ratio', 0);
    if (this.type === 'reduce_lr_on_plateau' || this.type === 'greedy') {
      const greedy = this.type === 'greedy';
      const mode = given('mode') ? kwargs.mode : 'min';
      const thresholdMode = given('threshold_mode') ? kwargs.threshold_mode : greedy ? 'abs' : 'rel';
      if (mode !== 'min' && mode !== 'max') throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.mode is ${JSON.stringify(mode)}; expected "min" or "max".`);
      if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.threshold_mode is ${JSON.stringify(thresholdMode)}; expected "rel" or "abs".`);
      for (const name of ['min_lr', 'max_lr']) {
        if (Array.isArray(kwargs[name])) throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.${name} is a list; ved takes one number for every parameter group.`);
      }
      this.plateau = {
        mode,
        thresholdMode,
        factor: number('factor', greedy ? 0.95 : 0.1, (v) => v < 1, `a number below 1 (${greedy ? 'GreedyLR' : 'torch'}: "Factor should be < 1.0.")`),
        patience: number('patience', 10),
        threshold: number('threshold', greedy ? 1e-6 : 1e-4),
        cooldown: number('cooldown', 0),
        minLr: number('min_lr', greedy ? 1e-3 : 0),
        eps: number('eps', 1e-8),
      };
      this.plateauState = { lr: this.learningRate, best: mode === 'min' ? Infinity : -Infinity, numBadEpochs: 0, cooldownCounter: 0 };
      if (greedy) {
        const verbose = kwargs.verbose;
        if (verbose !== undefined && verbose !== null && typeof verbose !== 'boolean') throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.verbose is ${JSON.stringify(verbose)}; expected true or false.`);
        const smooth = kwargs.smooth ?? false;
        if (typeof smooth !== 'boolean') throw new VedError('INVALID_OPTION', `lrSchedulerKwargs.smooth is ${JSON.stringify(smooth)}; expected true or false.`);
        this.greedy = {
          warmup: number('warmup', 0),
          maxLr: number('max_lr', 1),
          smooth,
          windowSize: number('window_size', 50, (v) => Number.isInteger(v) && v >= 1, 'a positive whole number'),
          resetStart: number('reset_start', 500, Number.isInteger, 'a whole number'),
        };
        this.plateauState.greedy = { numGoodEpochs: 0, warmupCounter: 0, resetStart: this.greedy.resetStart, window: [], windowSum: 0 };
      }
    }
  }

  private readonly plateau?: {
    mode: 'min' | 'max';
    thresholdMode: 'rel' | 'abs';
    factor: number;
    patience: number;
    threshold: number;
    cooldown: number;
    minLr: number;
    eps: number;
  };
  private plateauState?: PlateauState;
  private readonly greedy?: { warmup: number; maxLr: number; smooth: boolean; windowSize: number; resetStart: number };

  /** Whether the schedule follows evaluations (`reduce_lr_on_plateau`, `greedy`) rather than the update count. */
  get followsEvaluations(): boolean {
    return this.plateau !== undefined;
  }

  /**
   * `ReduceLROnPlateau.step(metric)` or `GreedyLR.step(metric)`, as HF Trainer calls it after each evaluation with
   * `metric_for_best_model`; other schedules ignore it.
   */
  reportEvaluation(metric: number): void {
    const p = this.plateau;
    const s = this.plateauState;
    if (p === undefined || s === undefined) return;
    if (this.greedy !== undefined) {
      this.greedyStep(metric);
      return;
    }
    if (this.isBetter(metric, s.best)) {
      s.best = metric;
      s.numBadEpochs = 0;
    } else s.numBadEpochs += 1;
    if (s.cooldownCounter > 0) {
      s.cooldownCounter -= 1;
      s.numBadEpochs = 0;
    }
    if (s.numBadEpochs > p.patience) {
      const next = Math.max(s.lr * p.factor, p.minLr);
      if (s.lr - next > p.eps) s.lr = next;
      s.cooldownCounter = p.cooldown;
      s.numBadEpochs = 0;
    }
  }

  /** Whether `metric` improves on `best` (`is_better` of both schedulers). */
  private isBetter(metric: number, best: number): boolean {
    const p = this.plateau!;
    return p.mode === 'min'
      ? p.thresholdMode === 'rel'
        ? metric < best * (1 - p.threshold)
        : metric < best - p.threshold
      : p.thresholdMode === 'rel'
        ? metric > best * (p.threshold + 1)
        : metric > best + p.threshold;
  }

  /** `GreedyLR.step` (transformers/optimization.py), on the one rate every parameter group shares. */
  private greedyStep(metric: number): void {
    const p = this.plateau!;
    const g = this.greedy!;
    const s = this.plateauState!;
    const c = s.greedy!;
    let current = metric;
    if (g.smooth) {
      // StreamingAverage.streamavg: the sum runs on, less what leaves the window.
      c.window.push(current);
      c.windowSum += current;
      if (c.window.length > g.windowSize) c.windowSum -= c.window.shift()!;
      current = c.windowSum / c.window.length;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter -= 1;
      s.numBadEpochs = 0;
      c.numGoodEpochs = 0;
      return;
    }
    if (c.warmupCounter > 0) {
      c.warmupCounter -= 1;
      s.numBadEpochs = 0;
      c.numGoodEpochs = 0;
      return;
    }
    if (this.isBetter(current, s.best)) {
      s.best = current;
      s.numBadEpochs = 0;
      c.numGoodEpochs += 1;
    } else {
      s.numBadEpochs += 1;
      c.numGoodEpochs = 0;
    }
    if (c.numGoodEpochs > p.patience) {
      // _increase_lr
      const next = Math.min(s.lr / p.factor, g.maxLr);
      if (next - s.lr > p.eps) s.lr = next;
      c.resetStart = g.resetStart;
      c.warmupCounter = g.warmup;
      c.numGoodEpochs = 0;
    } else if (s.numBadEpochs > p.patience) {
      // _reduce_lr, and _reset after reset_start reductions that found the rate at min_lr
      const next = Math.max(s.lr * p.factor, p.minLr);
      if (s.lr - next > p.eps) s.lr = next;
      if (!(s.lr > p.minLr)) {
        c.resetStart -= 1;
        if (c.resetStart <= 0) {
          s.lr = this.learningRate;
          s.best = p.mode === 'min' ? Infinity : -Infinity;
          s.numBadEpochs = 0;
          s.cooldownCounter = 0;
          s.greedy = { numGoodEpochs: 0, warmupCounter: 0, resetStart: g.resetStart, window: [], windowSum: 0 };
        }
      }
      s.cooldownCounter = p.cooldown;
      s.numBadEpochs = 0;
    }
  }

  /** The plateau or greedy counters (undefined for the other schedules), for a checkpoint. */
  get state(): PlateauState | undefined {
    const s = this.plateauState;
    if (s === undefined) return undefined;
    return { ...s, ...(s.greedy !== undefined ? { greedy: { ...s.greedy, window: [...s.greedy.window] } } : {}) };
  }

  /** Restores the counters saved with `state`. */
  loadState(state: PlateauState): void {
    if (this.plateauState === undefined) return;
    if ((state.greedy === undefined) !== (this.greedy === undefined)) {
      throw new VedError('INVALID_INPUT', `The saved learning-rate schedule state is ${state.greedy === undefined ? "ReduceLROnPlateau's" : "GreedyLR's"}, this run's schedule is ${this.type}.`);
    }
    this.plateauState = { ...state, ...(state.greedy !== undefined ? { greedy: { ...state.greedy, window: [...state.greedy.window] } } : {}) };
  }

  /** The factor `lambda(step)` of `LambdaLR`. */
  factor(step: number): number {
    if (this.plateauState !== undefined) return this.plateauState.lr / this.learningRate;
    const warmup = this.warmupSteps;
    const total = this.totalSteps;
    const warming = step / Math.max(1, warmup);
    const progress = (step - warmup) / Math.max(1, total - warmup);
    switch (this.type) {
      case 'constant':
        return 1;
      case 'constant_with_warmup':
        return step < warmup ? warming : 1;
      case 'linear':
        if (step < warmup) return warming;
        return Math.max(0, (total - step) / Math.max(1, total - warmup));
      case 'cosine':
        if (step < warmup) return warming;
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * this.numCycles * 2 * progress)));
      case 'cosine_with_restarts':
        if (step < warmup) return warming;
        if (progress >= 1) return 0;
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * pyMod(this.numCycles * progress, 1))));
      case 'polynomial': {
        if (step < warmup) return warming;
        const lr = this.learningRate;
        if (step > total) return this.lrEnd / lr;
        const remaining = 1 - (step - warmup) / (total - warmup);
        return ((lr - this.lrEnd) * remaining ** this.power + this.lrEnd) / lr;
      }
      case 'inverse_sqrt':
        if (step < warmup) return warming;
        return 1 / Math.sqrt((step + (this.timescale - warmup)) / this.timescale);
      case 'cosine_with_min_lr': {
        if (step < warmup) return warming;
        const f = 0.5 * (1 + Math.cos(Math.PI * this.numCycles * 2 * progress));
        return Math.max(0, f * (1 - this.minLrRate) + this.minLrRate);
      }
      case 'cosine_warmup_with_min_lr': {
        if (step < warmup) {
          const r = this.warmupLrRate;
          return r === undefined ? (step + 1) / Math.max(1, warmup) : r + ((1 - r) * step) / Math.max(1, warmup - 1);
        }
        const p = (step - warmup + 1) / Math.max(1, total - warmup);
        const f = 0.5 * (1 + Math.cos(Math.PI * this.numCycles * 2 * p));
        return Math.max(0, f * (1 - this.minLrRate) + this.minLrRate);
      }
      case 'warmup_stable_decay': {
        const floor = this.minLrRatio;
        if (step < warmup) {
          const p = step / Math.max(1, warmup);
          const f = this.warmupShape === 'linear' ? p : this.warmupShape === 'cosine' ? 0.5 * (1 - Math.cos(Math.PI * p)) : 1 - Math.sqrt(1 - p);
          return Math.max(0, f * (1 - floor) + floor);
        }
        if (step < warmup + this.stableSteps) return 1;
        if (step < warmup + this.stableSteps + this.decaySteps) {
          const p = (step - warmup - this.stableSteps) / Math.max(1, this.decaySteps);
          const f = this.decayShape === 'linear' ? 1 - p : this.decayShape === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * this.numCycles * 2 * p)) : 1 - Math.sqrt(p);
          return Math.max(0, f * (1 - floor) + floor);
        }
        return floor;
      }
    }
    // reduce_lr_on_plateau and greedy are answered above, from their counters.
    return 1;
  }

  /** The learning rate update `step` (0-based) uses: `learning_rate * lambda(step)`, in double as LambdaLR. */
  rateAt(step: number): number {
    if (this.plateauState !== undefined) return this.plateauState.lr;
    return this.learningRate * this.factor(step);
  }
}

/** Python's `%` (the sign of the divisor). */
function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
