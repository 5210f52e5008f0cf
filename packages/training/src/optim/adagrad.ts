/**
 * `torch.optim.Adagrad` (torch/optim/adagrad.py, `_single_tensor_adagrad`) with `lr_decay`, `eps` and (coupled)
 * weight decay, `initial_accumulator_value=0`, `maximize=False`, on float32 parameters; what HF Trainer builds for
 * `optim="adagrad"` (transformers/trainer_optimizer.py `_get_adagrad`).
 *
 * Hand-written to reproduce torch's float32 arithmetic (the rules are in adamw.ts):
 *
 *     grad = grad.add(param, alpha=weight_decay)     g = f(g + wd · p)
 *     clr = lr / (1 + (step - 1) * lr_decay)         in double, as Python's floats
 *     state_sum.addcmul_(grad, grad, value=1)        s = f(s + g · g)
 *     std = state_sum.sqrt().add_(eps)               d = f(f(√s) + f(eps))
 *     param.addcdiv_(grad, std, value=-clr)          p = f(p + f(f(f(−clr) · g) / d))
 *
 * `lr_decay` and `eps` come from HF's `optim_args` (`optimArgs`).
 */
import { VedError } from '@ved/core';
import { DecayedGradient, checkBuffer, checkNumber, withGradients, type Optimizer, type OptimizerState, type WeightDecayOptions } from './optimizer.js';

const f = Math.fround;

export interface AdagradOptions extends WeightDecayOptions {
  /** Default 0. */
  lrDecay?: number;
  /** Default 1e-10. */
  eps?: number;
}

export class Adagrad implements Optimizer {
  readonly name = 'adagrad' as const;
  readonly lrDecay: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly noDecay: (name: string) => boolean;
  private steps = 0;
  private readonly sums = new Map<string, Float32Array>();
  private readonly decayed = new DecayedGradient();

  constructor(options: AdagradOptions = {}) {
    this.lrDecay = checkNumber('Adagrad lr_decay', options.lrDecay ?? 0, { min: 0 });
    this.eps = checkNumber('Adagrad eps', options.eps ?? 1e-10, { min: 0 });
    this.weightDecay = checkNumber('Adagrad weightDecay', options.weightDecay ?? 0, { min: 0 });
    this.noDecay = options.noDecay ?? (() => false);
  }

  get stepCount(): number {
    return this.steps;
  }

  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    checkNumber('learning rate', lr, { min: 0 });
    const scale = f(checkNumber('gradScale', gradScale, { min: 0 }));
    this.steps += 1;
    // Every parameter's step counter moves together here (each has a gradient at every update).
    const negClr = f(-(lr / (1 + (this.steps - 1) * this.lrDecay)));
    const eps = f(this.eps);
    for (const [name, p, grad] of withGradients(params, grads)) {
      const n = p.length;
      const gs = this.decayed.of(grad, p, scale, this.noDecay(name) ? 0 : f(this.weightDecay));
      let s = this.sums.get(name);
      if (s === undefined) {
        s = new Float32Array(n);
        this.sums.set(name, s);
      }
      for (let i = 0; i < n; i++) {
        const g = gs[i]!;
        const si = f(s[i]! + g * g);
        s[i] = si;
        p[i] = f(p[i]! + f(f(negClr * g) / f(f(Math.sqrt(si)) + eps)));
      }
    }
  }

  state(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    for (const [name, s] of this.sums) tensors.set(`${name}.sum`, s);
    return { optimizer: 'adagrad', step: this.steps, tensors };
  }

  loadState(state: OptimizerState, params: ReadonlyMap<string, Float32Array>, source = 'optimizer state'): void {
    if (state.optimizer !== 'adagrad') throw new VedError('INVALID_INPUT', `${source} holds ${state.optimizer} state, not Adagrad's.`);
    this.sums.clear();
    for (const [key, buffer] of state.tensors) {
      if (!key.endsWith('.sum')) throw new VedError('INVALID_INPUT', `${source}: "${key}" is not an Adagrad buffer (<parameter>.sum).`);
      const name = key.slice(0, -'.sum'.length);
      this.sums.set(name, checkBuffer(key, buffer, params.get(name), source)!);
    }
    this.steps = state.step;
  }
}
