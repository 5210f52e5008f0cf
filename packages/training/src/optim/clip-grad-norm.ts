/**
 * `torch.nn.utils.clip_grad_norm_` with the L2 norm, as HF Trainer calls it
 * for `max_grad_norm` (transformers/trainer.py, `Trainer._clip_grad_norm`):
 * the total norm is the norm of the per-tensor norms; every gradient is then
 * multiplied in place by `min(max_norm / (total_norm + 1e-6), 1)`.
 *
 * float32 as torch computes it: each tensor's norm and the total are float32
 * values, the coefficient is `f(f(1 / f(total + f(1e-6))) · f(max_norm))`
 * (Python's `max_norm / tensor` is `tensor.reciprocal() * max_norm`), and each
 * gradient element becomes `f(g · coef)`. The sums of squares are accumulated
 * in double here, where torch accumulates float32 vectors: the norms agree to
 * ~1e-7 relative, not always bitwise.
 */
import { sumOfSquaresSimd } from './adamw-simd.js';
import { checkNumber } from './optimizer.js';

const f = Math.fround;

/**
 * A gradient's sum of squares, accumulated in double (the square of its L2 norm, before rounding): in
 * WebAssembly SIMD where available (four running sums, `sumOfSquaresSimd`), else one loop here.
 */
export function sumOfSquares(g: Float32Array): number {
  const simd = sumOfSquaresSimd();
  if (simd !== undefined) return simd(g);
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return sum;
}

/** The total norm from each tensor's `sumOfSquares`, in order: the norm of the float32 per-tensor norms. */
export function normFromSums(sums: Iterable<number>): number {
  let total = 0;
  for (const sum of sums) {
    const norm = f(Math.sqrt(sum));
    total += norm * norm;
  }
  return f(Math.sqrt(total));
}

/** The L2 norm of all gradients together (float32), as `torch.nn.utils.get_total_norm`. */
export function totalGradNorm(grads: Iterable<Float32Array>): number {
  return normFromSums([...grads].map(sumOfSquares));
}

/**
 * The factor `clip_grad_norm_` multiplies every gradient by for a total norm
 * `total`: `min(f(f(1 / f(total + 1e-6)) · f(max_norm)), 1)`; 1 when `maxNorm`
 * is 0 (clipping off).
 */
export function clipCoefficient(total: number, maxNorm: number): number {
  checkNumber('maxGradNorm', maxNorm, { min: 0 });
  if (maxNorm === 0) return 1;
  return Math.min(f(f(1 / f(total + f(1e-6))) * f(maxNorm)), 1);
}

/**
 * Clips `grads` in place to a total L2 norm of at most `maxNorm`; returns the
 * norm before clipping (what HF Trainer logs as `grad_norm`). A non-finite
 * norm is returned as is, and the gradients are then left untouched (the
 * caller stops training: torch would turn every gradient into NaN).
 * (The Trainer does not scale in place: it hands `clipCoefficient` to the
 * optimizer's `step`, which multiplies each gradient element as it reads it.)
 */
export function clipGradNorm(grads: Iterable<Float32Array>, maxNorm: number): number {
  checkNumber('maxGradNorm', maxNorm, { min: 0, minExclusive: true });
  const list = [...grads];
  const total = totalGradNorm(list);
  if (!Number.isFinite(total)) return total;
  const coef = clipCoefficient(total, maxNorm);
  if (coef < 1) {
    for (const g of list) {
      for (let i = 0; i < g.length; i++) g[i] = f(g[i]! * coef);
    }
  }
  return total;
}
