/**
 * `torch.optim.AdamW` (torch/optim/adamw.py → `_single_tensor_adam` in
 * torch/optim/adam.py with `decoupled_weight_decay=True`), with torch's
 * defaults `amsgrad=False`, `maximize=False`, on float32 parameters.
 *
 * Hand-written rather than taken from a library because it must reproduce
 * torch's float32 arithmetic, operation by operation, to agree with PyTorch to
 * ~1e-7 after several steps. On CPU torch runs the single-tensor path; each
 * in-place tensor op rounds to float32 and its Python-float operands are cast
 * to float32 first:
 *
 *     param.mul_(1 - lr * weight_decay)                 p = f(p · f(1 − lr·wd))
 *     exp_avg.lerp_(grad, 1 - beta1)                    m = f(m + w · f(g − m))   (a fused multiply-add; w = f(1 − β1) < 0.5)
 *     exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
 *                                                       v = f(f(v · β2) + f(c · g) · g)   (a fused multiply-add)
 *     denom = (exp_avg_sq.sqrt() / bias_correction2 ** 0.5).add_(eps)
 *                                                       d = f(f(f(√v) / f(√bc2)) + f(eps))
 *     param.addcdiv_(exp_avg, denom, value=-step_size)  p = f(p + f(f(s · m) / d)),  s = f(−lr / bc1)
 *
 * with `bias_correction1 = 1 - beta1 ** step` and `bias_correction2 = 1 - beta2 ** step`
 * in double precision. A fused multiply-add `f(a + b·c)` of float32 values is
 * computed in double (the product is exact there) and rounded once. Checked
 * bitwise against torch 2.13 on CPU: every operation agrees except torch's
 * vectorized float32 `sqrt`, which is not always correctly rounded (one ulp on
 * ~0.7% of elements).
 */
import { VedError } from '@ved/core';
import { adamwSimd, type AdamWConstants } from './adamw-simd.js';
import { clipCoefficient, normFromSums, sumOfSquares } from './clip-grad-norm.js';
import { checkBuffer, checkGradient, checkNumber, type Optimizer, type OptimizerState } from './optimizer.js';

const f = Math.fround;

export interface AdamWOptions {
  /** `betas[0]` (default 0.9). */
  beta1?: number;
  /** `betas[1]` (default 0.999). */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay (torch's default 0.01). */
  weightDecay?: number;
  /** Parameters that get no weight decay (HF Trainer's second parameter group: biases and norms). */
  noDecay?: (name: string) => boolean;
}

export class AdamW implements Optimizer {
  readonly name = 'adamw' as const;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly noDecay: (name: string) => boolean;
  private steps = 0;
  private readonly expAvg = new Map<string, Float32Array>();
  private readonly expAvgSq = new Map<string, Float32Array>();

  constructor(options: AdamWOptions = {}) {
    this.beta1 = checkNumber('AdamW beta1 (adamBeta1)', options.beta1 ?? 0.9, { min: 0, max: 1 });
    this.beta2 = checkNumber('AdamW beta2 (adamBeta2)', options.beta2 ?? 0.999, { min: 0, max: 1 });
    if (this.beta1 >= 1 || this.beta2 >= 1) throw new VedError('INVALID_OPTION', `AdamW betas must be below 1, got [${this.beta1}, ${this.beta2}].`);
    this.eps = checkNumber('AdamW eps (adamEpsilon)', options.eps ?? 1e-8, { min: 0 });
    this.weightDecay = checkNumber('AdamW weightDecay', options.weightDecay ?? 0.01, { min: 0 });
    this.noDecay = options.noDecay ?? (() => false);
  }

  get stepCount(): number {
    return this.steps;
  }

  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    const update = this.prepare(params, grads, lr, checkNumber('gradScale', gradScale, { min: 0 }));
    for (const job of update.jobs) runAdamWJob(job);
    this.commit(update);
  }

  /**
   * Gradient clipping and the update, with part of the tensors handed to `parallel` (another
   * thread) and the rest done here meanwhile: both sides measure their gradients (`sumOfSquares`),
   * the total norm of `grads` (in its order, as `totalGradNorm`) gives clipping's coefficient
   * (`clipCoefficient`; none with `maxGradNorm` 0), and both sides then update with each gradient
   * element multiplied by it as it is read. Each element's arithmetic is `step`'s after
   * `clipGradNorm`, so the result is identical. Returns the norm before clipping; a non-finite norm
   * updates nothing (the caller stops). Parameters and moments handed over come back as new arrays:
   * `params` and the state are updated to them (the gradients handed over are no longer readable).
   */
  async stepParallel(
    parallel: ParallelUpdates,
    params: Map<string, Float32Array>,
    grads: ReadonlyMap<string, Float32Array>,
    lr: number,
    { maxGradNorm = 0 }: { maxGradNorm?: number } = {},
  ): Promise<number> {
    checkNumber('maxGradNorm', maxGradNorm, { min: 0 });
    const update = this.prepare(params, grads, lr, 1);
    // About half of the elements elsewhere: largest tensors first, each to the lighter side.
    const [away, here] = [[] as AdamWJob[], [] as AdamWJob[]];
    let [awaySize, hereSize] = [0, 0];
    for (const job of [...update.jobs].sort((a, b) => b.p.length - a.p.length)) {
      if (awaySize <= hereSize) {
        away.push(job);
        awaySize += job.p.length;
      } else {
        here.push(job);
        hereSize += job.p.length;
      }
    }
    const measured = parallel.measure(away);
    const sums = new Map(here.map((job) => [job.name, sumOfSquares(job.g)]));
    const awaySums = await measured;
    away.forEach((job, i) => sums.set(job.name, awaySums[i]!));
    const norm = normFromSums([...grads].map(([name, g]) => sums.get(name) ?? sumOfSquares(g)));
    const finite = Number.isFinite(norm);
    const gradScale = clipCoefficient(norm, maxGradNorm);
    const done = parallel.update(finite ? gradScale : null);
    if (finite) {
      for (const job of here) {
        job.c.gradScale = gradScale;
        runAdamWJob(job);
      }
    }
    for (const job of await done) {
      params.set(job.name, job.p);
      update.moments.set(job.name, { m: job.m, v: job.v });
      // Moments that existed come back as new arrays, updated or not.
      if (this.expAvg.has(job.name)) {
        this.expAvg.set(job.name, job.m);
        this.expAvgSq.set(job.name, job.v);
      }
    }
    if (finite) this.commit(update);
    return norm;
  }

  /** One job per parameter with a gradient, for update number `stepCount + 1`; `commit` makes it count. */
  private prepare(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale: number): PreparedUpdate {
    checkNumber('learning rate', lr, { min: 0 });
    const t = this.steps + 1;
    const biasCorrection1 = 1 - this.beta1 ** t;
    const biasCorrection2 = 1 - this.beta2 ** t;
    const negStepSize = f(-(lr / biasCorrection1));
    const bc2Sqrt = f(Math.sqrt(biasCorrection2));
    const eps = f(this.eps);
    const w1 = f(1 - this.beta1);
    // torch's lerp: start + w·(end − start) for |w| < 0.5, else end − (end − start)·(1 − w), one fused multiply-add.
    const lerpSmall = Math.abs(w1) < 0.5;
    const w1m1 = f(w1 - 1);
    const b2 = f(this.beta2);
    const c2 = f(1 - this.beta2);
    const jobs: AdamWJob[] = [];
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (g === undefined) continue;
      checkGradient(name, p, g);
      // Moments start at zero (torch creates them at the first update).
      const m = this.expAvg.get(name) ?? new Float32Array(p.length);
      const v = this.expAvgSq.get(name) ?? new Float32Array(p.length);
      moments.set(name, { m, v });
      const wd = this.noDecay(name) ? 0 : this.weightDecay;
      // Decoupled decay first (1 when none: the product is then exact), as torch's p.mul_(1 - lr * wd).
      const decay = wd === 0 ? 1 : f(1 - lr * wd);
      jobs.push({ name, p, g, m, v, c: { lerpSmall, gradScale: f(gradScale), decay, w1, w1m1, b2, c2, bc2Sqrt, eps, negStepSize } });
    }
    return { jobs, moments };
  }

  private commit({ moments }: PreparedUpdate): void {
    for (const [name, { m, v }] of moments) {
      this.expAvg.set(name, m);
      this.expAvgSq.set(name, v);
    }
    this.steps += 1;
  }

  state(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    for (const [name, m] of this.expAvg) {
      tensors.set(`${name}.exp_avg`, m);
      tensors.set(`${name}.exp_avg_sq`, this.expAvgSq.get(name)!);
    }
    return { optimizer: 'adamw', step: this.steps, tensors };
  }

  loadState(state: OptimizerState, params: ReadonlyMap<string, Float32Array>, source = 'optimizer state'): void {
    if (state.optimizer !== 'adamw') {
      throw new VedError('INVALID_INPUT', `${source} was written by the ${state.optimizer} optimizer; this run uses adamw.`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new VedError('INVALID_INPUT', `${source}: step is ${state.step}, expected a non-negative integer.`);
    const expAvg = new Map<string, Float32Array>();
    const expAvgSq = new Map<string, Float32Array>();
    for (const key of state.tensors.keys()) {
      const match = /^(.*)\.(exp_avg|exp_avg_sq)$/.exec(key);
      if (match === null) throw new VedError('INVALID_INPUT', `${source}: unexpected tensor "${key}"; AdamW keeps "<parameter>.exp_avg" and "<parameter>.exp_avg_sq".`);
      const [, name, buffer] = match as unknown as [string, string, string];
      const copy = checkBuffer(key, state.tensors.get(key), params.get(name), source)!;
      (buffer === 'exp_avg' ? expAvg : expAvgSq).set(name, copy);
    }
    for (const name of expAvg.keys()) {
      if (!expAvgSq.has(name)) throw new VedError('INVALID_INPUT', `${source}: "${name}.exp_avg" has no "${name}.exp_avg_sq" beside it.`);
    }
    for (const name of expAvgSq.keys()) {
      if (!expAvg.has(name)) throw new VedError('INVALID_INPUT', `${source}: "${name}.exp_avg_sq" has no "${name}.exp_avg" beside it.`);
    }
    this.expAvg.clear();
    this.expAvgSq.clear();
    for (const [name, m] of expAvg) {
      this.expAvg.set(name, m);
      this.expAvgSq.set(name, expAvgSq.get(name)!);
    }
    this.steps = state.step;
  }
}

/** One tensor's AdamW update: plain data, so that it can be posted to another thread. */
export interface AdamWJob {
  name: string;
  p: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  c: AdamWConstants;
}

/** What comes back of a job run elsewhere: the updated parameter and moments (the gradient stays behind). */
export type AdamWResult = Pick<AdamWJob, 'name' | 'p' | 'm' | 'v'>;

interface PreparedUpdate {
  jobs: AdamWJob[];
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

/**
 * Runs some AdamW jobs elsewhere (another thread), in two phases, as `AdamW.stepParallel` needs them:
 * the gradients are measured, then, with clipping's coefficient known, the update runs.
 */
export interface ParallelUpdates {
  /** Hands `jobs` over; resolves with each job's gradient `sumOfSquares`, in order. */
  measure(jobs: AdamWJob[]): Promise<number[]>;
  /**
   * Updates the jobs last measured, each gradient element multiplied by `gradScale` as it is read
   * (with `null` nothing is updated), and gives back their parameters and moments.
   */
  update(gradScale: number | null): Promise<AdamWResult[]>;
  /** Stops the other thread. */
  close(): Promise<void>;
}

/** Updates `job.p`, `job.m` and `job.v` in place (in WebAssembly SIMD where available: the same numbers, sooner). */
export function runAdamWJob(job: AdamWJob): void {
  (adamwSimd() ?? updateScalar)(job.p, job.g, job.m, job.v, job.c);
}

/** The update in JavaScript: the reference the SIMD kernel is tested against, and its fallback. */
export function updateScalar(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamWConstants): void {
  (c.lerpSmall ? updateLerpSmall : updateLerpLarge)(p, g, m, v, c);
}

/**
 * One AdamW update of a tensor, with the arithmetic of the table above (decay, lerp, addcmul, addcdiv per
 * element). Two loops, one per form of torch's lerp, so that the loop body has no branch: in V8 about
 * 2.5× faster than one loop choosing inside it with the decay as a pass of its own.
 */
function updateLerpSmall(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamWConstants): void {
  const { gradScale, decay, w1, b2, c2, bc2Sqrt, eps, negStepSize } = c;
  for (let i = 0; i < p.length; i++) {
    const gi = f(g[i]! * gradScale);
    const mi = f(m[i]! + w1 * f(gi - m[i]!));
    const vi = f(f(v[i]! * b2) + f(c2 * gi) * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = f(f(p[i]! * decay) + f(f(negStepSize * mi) / f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps)));
  }
}

function updateLerpLarge(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamWConstants): void {
  const { gradScale, decay, w1m1, b2, c2, bc2Sqrt, eps, negStepSize } = c;
  for (let i = 0; i < p.length; i++) {
    const gi = f(g[i]! * gradScale);
    const mi = f(gi + w1m1 * f(gi - m[i]!));
    const vi = f(f(v[i]! * b2) + f(c2 * gi) * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = f(f(p[i]! * decay) + f(f(negStepSize * mi) / f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps)));
  }
}
