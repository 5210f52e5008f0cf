/**
 * `torch.optim.RMSprop` (torch/optim/rmsprop.py, `_single_tensor_rmsprop`) with its options `alpha`, `eps`,
 * `momentum`, `centered` and (coupled) weight decay, `maximize=False`, on float32 parameters; what HF Trainer
 * builds for `optim="rmsprop"` (transformers/trainer_optimizer.py `_get_rmsprop`).
 *
 * Hand-written to reproduce torch's float32 arithmetic (see adamw.ts for the rules: a Python float operand is
 * cast to float32, `add(alpha=)` and `addcmul` are fused multiply-adds, `addcdiv` rounds the quotient, then the
 * sum):
 *
 *     grad = grad.add(param, alpha=weight_decay)                   g = f(g + wd · p)
 *     square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha) v = f(f(v · α) + f(c · g) · g),  c = f(1 − α)
 *     grad_avg.lerp_(grad, 1 - alpha)            (centered)        m = lerp(m, g, c)
 *     avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()   a = f(√f(v − m · m))   (centered)
 *     avg = square_avg.sqrt()                    (otherwise)       a = f(√v)
 *     avg = avg.add_(eps)                                          d = f(a + f(eps))
 *     buf.mul_(momentum).addcdiv_(grad, avg)     (momentum > 0)    b = f(f(b · μ) + f(g / d)); p = f(p + f(−lr) · b)
 *     param.addcdiv_(grad, avg, value=-lr)       (otherwise)       p = f(p + f(f(f(−lr) · g) / d))
 *
 * `alpha`, `eps`, `momentum` and `centered` come from HF's `optim_args` (`optimArgs`).
 */
import { VedError } from '@ved/core';
import { DecayedGradient, checkBuffer, checkNumber, withGradients, type Optimizer, type OptimizerState, type WeightDecayOptions } from './optimizer.js';

const f = Math.fround;

export interface RMSpropOptions extends WeightDecayOptions {
  /** Smoothing constant (default 0.99). */
  alpha?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Default 0. */
  momentum?: number;
  /** Normalise by the variance's estimate rather than the raw second moment (default false). */
  centered?: boolean;
}

export class RMSprop implements Optimizer {
  readonly name = 'rmsprop' as const;
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly weightDecay: number;
  private readonly noDecay: (name: string) => boolean;
  private steps = 0;
  private readonly squareAvg = new Map<string, Float32Array>();
  private readonly gradAvg = new Map<string, Float32Array>();
  private readonly momentumBuffer = new Map<string, Float32Array>();
  private readonly decayed = new DecayedGradient();

  constructor(options: RMSpropOptions = {}) {
    this.alpha = checkNumber('RMSprop alpha', options.alpha ?? 0.99, { min: 0 });
    this.eps = checkNumber('RMSprop eps', options.eps ?? 1e-8, { min: 0 });
    this.momentum = checkNumber('RMSprop momentum', options.momentum ?? 0, { min: 0 });
    this.centered = options.centered ?? false;
    if (typeof this.centered !== 'boolean') throw new VedError('INVALID_OPTION', `RMSprop centered must be true or false, got ${JSON.stringify(options.centered)}.`);
    this.weightDecay = checkNumber('RMSprop weightDecay', options.weightDecay ?? 0, { min: 0 });
    this.noDecay = options.noDecay ?? (() => false);
  }

  get stepCount(): number {
    return this.steps;
  }

  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    checkNumber('learning rate', lr, { min: 0 });
    const scale = f(checkNumber('gradScale', gradScale, { min: 0 }));
    this.steps += 1;
    const negLr = f(-lr);
    const alpha = f(this.alpha);
    const c = f(1 - this.alpha);
    const eps = f(this.eps);
    const mu = f(this.momentum);
    for (const [name, p, grad] of withGradients(params, grads)) {
      const n = p.length;
      const gs = this.decayed.of(grad, p, scale, this.noDecay(name) ? 0 : f(this.weightDecay));
      const v = this.buffer(this.squareAvg, name, n);
      const m = this.centered ? this.buffer(this.gradAvg, name, n) : undefined;
      const b = this.momentum > 0 ? this.buffer(this.momentumBuffer, name, n) : undefined;
      for (let i = 0; i < n; i++) {
        const g = gs[i]!;
        const vi = f(f(v[i]! * alpha) + f(c * g) * g);
        v[i] = vi;
        let a: number;
        if (m !== undefined) {
          const mi = lerp(m[i]!, g, c);
          m[i] = mi;
          a = f(Math.sqrt(f(vi - mi * mi)));
        } else {
          a = f(Math.sqrt(vi));
        }
        const d = f(a + eps);
        if (b !== undefined) {
          const bi = f(f(b[i]! * mu) + f(g / d));
          b[i] = bi;
          p[i] = f(p[i]! + negLr * bi);
        } else {
          p[i] = f(p[i]! + f(f(negLr * g) / d));
        }
      }
    }
  }

  private buffer(map: Map<string, Float32Array>, name: string, n: number): Float32Array {
    let buffer = map.get(name);
    if (buffer === undefined) {
      buffer = new Float32Array(n);
      map.set(name, buffer);
    }
    return buffer;
  }

  state(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    for (const [name, v] of this.squareAvg) tensors.set(`${name}.square_avg`, v);
    for (const [name, m] of this.gradAvg) tensors.set(`${name}.grad_avg`, m);
    for (const [name, b] of this.momentumBuffer) tensors.set(`${name}.momentum_buffer`, b);
    return { optimizer: 'rmsprop', step: this.steps, tensors };
  }

  loadState(state: OptimizerState, params: ReadonlyMap<string, Float32Array>, source = 'optimizer state'): void {
    if (state.optimizer !== 'rmsprop') throw new VedError('INVALID_INPUT', `${source} holds ${state.optimizer} state, not RMSprop's.`);
    const kinds = { square_avg: this.squareAvg, grad_avg: this.gradAvg, momentum_buffer: this.momentumBuffer };
    for (const map of Object.values(kinds)) map.clear();
    for (const [key, buffer] of state.tensors) {
      const dot = key.lastIndexOf('.');
      const kind = key.slice(dot + 1) as keyof typeof kinds;
      const map = kinds[kind];
      if (map === undefined) throw new VedError('INVALID_INPUT', `${source}: "${key}" is not an RMSprop buffer (square_avg, grad_avg, momentum_buffer).`);
      const name = key.slice(0, dot);
      map.set(name, checkBuffer(key, buffer, params.get(name), source)!);
    }
    this.steps = state.step;
  }
}

/** torch's `lerp(self, end, weight)` in float32, in the form its CPU kernel picks for the weight (as adamw.ts). */
function lerp(self: number, end: number, weight: number): number {
  return Math.abs(weight) < 0.5 ? f(self + weight * f(end - self)) : f(end + f(weight - 1) * f(end - self));
}
