/**
 * What every optimizer of `@ved/training` shares: one update of a set of named
 * float32 parameters from their gradients, in place, and a state that can be
 * saved to `optimizer.safetensors` and loaded back for an exact resume.
 *
 * Parameters whose gradient is missing from a step are skipped, as PyTorch
 * skips parameters whose `.grad` is `None` (frozen weights).
 */
import { VedError } from '@ved/core';

export type OptimizerName = 'adamw' | 'sgd' | 'adafactor' | 'rmsprop' | 'adagrad';

/** An optimizer's state: its counters and its per-parameter buffers, keyed `<parameter>.<buffer>`. */
export interface OptimizerState {
  optimizer: OptimizerName;
  /** Updates done so far. */
  step: number;
  /** Buffers by `<parameter name>.<buffer name>` (e.g. `decoder.lm_head.weight.exp_avg`). */
  tensors: Map<string, Float32Array>;
  /** Shapes of the buffers that are not shaped like their parameter (Adafactor's row and column moments). */
  shapes?: Map<string, number[]>;
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** Updates done so far. */
  readonly stepCount: number;
  /**
   * One update of every parameter that has a gradient, in place, with learning
   * rate `lr` (the schedule's value for this update). Gradients are read only:
   * with `gradScale` (gradient clipping's `clipCoefficient`, default 1) each
   * element is used as `f(g · gradScale)`, the value torch's in-place
   * `clip_grad_norm_` leaves in `.grad`, without a pass of its own.
   */
  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale?: number): void;
  /** A copy-free view of the state (the buffers are the live arrays: serialize before the next step). */
  state(): OptimizerState;
  /** Replaces the state with `state` (copied), checking it fits `params`; `source` names the file in errors. */
  loadState(state: OptimizerState, params: ReadonlyMap<string, Float32Array>, source?: string): void;
}

/** Checks a per-parameter buffer of a loaded state against its parameter. */
export function checkBuffer(key: string, buffer: Float32Array | undefined, param: Float32Array | undefined, source: string): Float32Array | undefined {
  if (buffer === undefined) return undefined;
  if (param === undefined) {
    throw new VedError('INVALID_INPUT', `${source}: optimizer state "${key}" belongs to no trainable parameter of this model.`);
  }
  if (buffer.length !== param.length) {
    throw new VedError('WEIGHT_SHAPE_MISMATCH', `${source}: optimizer state "${key}" has ${buffer.length} values, but its parameter has ${param.length}.`);
  }
  return Float32Array.from(buffer);
}

/** Checks that a gradient matches its parameter. */
export function checkGradient(name: string, param: Float32Array, grad: Float32Array): void {
  if (grad.length !== param.length) {
    throw new VedError('WEIGHT_SHAPE_MISMATCH', `The gradient of "${name}" has ${grad.length} values, but the parameter has ${param.length}.`);
  }
}

/** Validates a finite number option. */
export function checkNumber(option: string, value: number, { min, max, minExclusive }: { min?: number; max?: number; minExclusive?: boolean } = {}): number {
  const low = min === undefined ? true : minExclusive ? value > min : value >= min;
  const high = max === undefined ? true : value <= max;
  if (typeof value !== 'number' || !Number.isFinite(value) || !low || !high) {
    const range = [min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`, max === undefined ? '' : `≤ ${max}`].filter(Boolean).join(' and ');
    throw new VedError('INVALID_OPTION', `${option} must be a finite number${range ? ` ${range}` : ''}, got ${value}.`);
  }
  return value;
}

/** HF Trainer's two parameter groups: the weight decay of torch.optim's coupled-decay optimizers, and who skips it. */
export interface WeightDecayOptions {
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Parameters that get no weight decay (HF Trainer's second parameter group: biases and norms). */
  noDecay?: (name: string) => boolean;
}

/** Each parameter that has a gradient in this step, with it (checked): PyTorch skips a `.grad` of None. */
export function* withGradients(
  params: ReadonlyMap<string, Float32Array>,
  grads: ReadonlyMap<string, Float32Array>,
): Generator<[name: string, param: Float32Array, grad: Float32Array]> {
  for (const [name, p] of params) {
    const grad = grads.get(name);
    if (grad === undefined) continue;
    checkGradient(name, p, grad);
    yield [name, p, grad];
  }
}

/**
 * The gradient as torch's coupled-decay optimizers read it, `grad.add(param, alpha=weight_decay)`: each element
 * scaled by the clipping coefficient (`f(g · s)`, what `clip_grad_norm_` leaves in `.grad`), plus `wd · p` as one
 * fused multiply-add. The caller's gradient itself when neither applies (it is read only), else a scratch array.
 */
export class DecayedGradient {
  private scratch = new Float32Array(0);

  of(grad: Float32Array, p: Float32Array, scale: number, wd: number): Float32Array {
    if (wd === 0 && scale === 1) return grad;
    const n = grad.length;
    if (this.scratch.length < n) this.scratch = new Float32Array(n);
    const g = this.scratch.subarray(0, n);
    if (wd === 0) for (let i = 0; i < n; i++) g[i] = Math.fround(grad[i]! * scale);
    else for (let i = 0; i < n; i++) g[i] = Math.fround(Math.fround(grad[i]! * scale) + wd * p[i]!);
    return g;
  }
}
