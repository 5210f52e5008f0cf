/**
 * `torch.optim.SGD` (torch/optim/sgd.py, `_single_tensor_sgd`): momentum,
 * dampening, Nesterov momentum and (coupled) weight decay, `maximize=False`,
 * on float32 parameters.
 *
 * Hand-written to reproduce torch's float32 arithmetic: `tensor.add(other,
 * alpha=a)` is one fused multiply-add `f(x + f(a)·y)` in torch's CPU kernel, and
 * `mul_` rounds after each product:
 *
 *     grad = grad.add(param, alpha=weight_decay)            g = f(g + wd · p)
 *     buf = grad.clone()                                    (first step)
 *     buf.mul_(momentum).add_(grad, alpha=1 - dampening)    b = f(f(b · μ) + (1 − τ) · g)
 *     grad = grad.add(buf, alpha=momentum)  (nesterov)      g = f(g + μ · b), else g = b
 *     param.add_(grad, alpha=-lr)                           p = f(p + f(−lr) · g)
 */
import { VedError } from '@ved/core';
import { DecayedGradient, checkBuffer, checkNumber, withGradients, type Optimizer, type OptimizerState, type WeightDecayOptions } from './optimizer.js';

const f = Math.fround;

export interface SGDOptions extends WeightDecayOptions {
  /** Default 0 (plain gradient descent). */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** Default false; needs momentum > 0 and dampening 0, as torch requires. */
  nesterov?: boolean;
}

export class SGD implements Optimizer {
  readonly name = 'sgd' as const;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly noDecay: (name: string) => boolean;
  private steps = 0;
  private readonly buffers = new Map<string, Float32Array>();
  private readonly decayed = new DecayedGradient();

  constructor(options: SGDOptions = {}) {
    this.momentum = checkNumber('SGD momentum', options.momentum ?? 0, { min: 0 });
    this.dampening = checkNumber('SGD dampening', options.dampening ?? 0);
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = checkNumber('SGD weightDecay', options.weightDecay ?? 0, { min: 0 });
    this.noDecay = options.noDecay ?? (() => false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new VedError('INVALID_OPTION', `SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum ${this.momentum}, dampening ${this.dampening}.`);
    }
  }

  get stepCount(): number {
    return this.steps;
  }

  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    checkNumber('learning rate', lr, { min: 0 });
    const scale = f(checkNumber('gradScale', gradScale, { min: 0 }));
    this.steps += 1;
    const negLr = f(-lr);
    const mu = f(this.momentum);
    const oneMinusDampening = f(1 - this.dampening);
    for (const [name, p, grad] of withGradients(params, grads)) {
      const n = p.length;
      let g = this.decayed.of(grad, p, scale, this.noDecay(name) ? 0 : f(this.weightDecay));
      if (this.momentum !== 0) {
        let buf = this.buffers.get(name);
        if (buf === undefined) {
          buf = Float32Array.from(g);
          this.buffers.set(name, buf);
        } else {
          for (let i = 0; i < n; i++) buf[i] = f(f(buf[i]! * mu) + oneMinusDampening * g[i]!);
        }
        if (this.nesterov) {
          for (let i = 0; i < n; i++) p[i] = f(p[i]! + negLr * f(g[i]! + mu * buf[i]!));
          continue;
        }
        g = buf;
      }
      for (let i = 0; i < n; i++) p[i] = f(p[i]! + negLr * g[i]!);
    }
  }

  state(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    for (const [name, buf] of this.buffers) tensors.set(`${name}.momentum_buffer`, buf);
    return { optimizer: 'sgd', step: this.steps, tensors };
  }

  loadState(state: OptimizerState, params: ReadonlyMap<string, Float32Array>, source = 'optimizer state'): void {
    if (state.optimizer !== 'sgd') {
      throw new VedError('INVALID_INPUT', `${source} was written by the ${state.optimizer} optimizer; this run uses sgd.`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new VedError('INVALID_INPUT', `${source}: step is ${state.step}, expected a non-negative integer.`);
    const buffers = new Map<string, Float32Array>();
    for (const key of state.tensors.keys()) {
      const match = /^(.*)\.momentum_buffer$/.exec(key);
      if (match === null) throw new VedError('INVALID_INPUT', `${source}: unexpected tensor "${key}"; SGD keeps "<parameter>.momentum_buffer".`);
      buffers.set(match[1]!, checkBuffer(key, state.tensors.get(key), params.get(match[1]!), source)!);
    }
    this.buffers.clear();
    for (const [name, buf] of buffers) this.buffers.set(name, buf);
    this.steps = state.step;
  }
}
