/**
 * transformers' `Adafactor` (transformers/optimization.py, `Adafactor.step`) as HF Trainer builds it for
 * `optim="adafactor"` (trainer_optimizer.py, `_get_adafactor`): `scale_parameter=False`,
 * `relative_step=False`, the rate from the schedule, no first moment (`beta1=None`), `eps=(1e-30, 1e-3)`,
 * `clip_threshold=1`, `decay_rate=-0.8`, decoupled weight decay per parameter group. For a parameter of
 * shape [..., R, C] with at least two dimensions the second moment is factored into a row and a column
 * average (`exp_avg_sq_row` [..., R], `exp_avg_sq_col` [..., C]: a fraction of AdamW's memory); a vector
 * keeps a full one (`exp_avg_sq`). Per update t:
 *
 *     β2t = 1 − t^decay_rate;  u = g² + eps₁
 *     row = β2t · row + (1 − β2t) · mean over C of u;  col = β2t · col + (1 − β2t) · mean over R of u
 *     u = rsqrt(row / mean over R of row) ⊗ rsqrt(col) · g      (vector: rsqrt(v) · g)
 *     u = u / max(1, rms(u) / clip_threshold) · lr
 *     p = p − wd · lr · p − u
 *
 * In float32 as torch computes it, each elementwise operation rounded; the means and the root mean square
 * are reductions that torch sums in its own order, so results agree with torch's to float32 rounding
 * (checked against `Adafactor` over 7 steps: fixtures/optim/adafactor.*), not bit for bit.
 */
import { VedError } from '@ved/core';
import { checkGradient, checkNumber, type Optimizer, type OptimizerState } from './optimizer.js';

const f = Math.fround;
const EPS1 = f(1e-30);
const DECAY_RATE = -0.8;
const CLIP_THRESHOLD = 1;

export interface AdafactorOptions {
  /** Every trained parameter's shape (the factoring follows the last two dimensions). */
  shapeOf: (name: string) => readonly number[];
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
  /** Parameters that get no weight decay (HF Trainer's second parameter group). */
  noDecay?: (name: string) => boolean;
}

/** A parameter's layout for factoring: `batch` matrices of `rows` × `cols`, or a vector (`rows` 0). */
interface Layout {
  batch: number;
  rows: number;
  cols: number;
}

function layoutOf(shape: readonly number[]): Layout {
  if (shape.length < 2) return { batch: 1, rows: 0, cols: shape.reduce((a, b) => a * b, 1) };
  const rows = shape[shape.length - 2]!;
  const cols = shape[shape.length - 1]!;
  return { batch: shape.slice(0, -2).reduce((a, b) => a * b, 1), rows, cols };
}

export class Adafactor implements Optimizer {
  readonly name = 'adafactor' as const;
  readonly weightDecay: number;
  private readonly shapeOf: (name: string) => readonly number[];
  private readonly noDecay: (name: string) => boolean;
  private steps = 0;
  /** `exp_avg_sq_row` / `exp_avg_sq_col` of factored parameters, `exp_avg_sq` of vectors. */
  private readonly moments = new Map<string, { row?: Float32Array; col?: Float32Array; full?: Float32Array }>();
  private scratch = new Float32Array(0);

  constructor(options: AdafactorOptions) {
    if (typeof options?.shapeOf !== 'function') throw new VedError('INVALID_OPTION', 'Adafactor needs shapeOf(name), the shape of each parameter.');
    this.shapeOf = options.shapeOf;
    this.weightDecay = checkNumber('Adafactor weightDecay', options.weightDecay ?? 0, { min: 0 });
    this.noDecay = options.noDecay ?? (() => false);
  }

  get stepCount(): number {
    return this.steps;
  }

  private layout(name: string, length: number): Layout {
    const shape = this.shapeOf(name);
    const l = layoutOf(shape);
    if ((l.rows === 0 ? l.cols : l.batch * l.rows * l.cols) !== length) {
      throw new VedError('WEIGHT_SHAPE_MISMATCH', `Adafactor: "${name}" has ${length} values, but its shape [${shape.join(', ')}] holds ${l.batch * l.rows * l.cols}.`);
    }
    return l;
  }

  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    checkNumber('learning rate', lr, { min: 0 });
    const scale = f(checkNumber('gradScale', gradScale, { min: 0 }));
    this.steps += 1;
    const beta2t = 1 - Math.pow(this.steps, DECAY_RATE);
    const keep = f(beta2t);
    const add = f(1 - beta2t);
    const rate = f(lr);
    for (const [name, p] of params) {
      const grad = grads.get(name);
      if (grad === undefined) continue;
      checkGradient(name, p, grad);
      const n = p.length;
      const { batch, rows, cols } = this.layout(name, n);
      if (this.scratch.length < 2 * n) this.scratch = new Float32Array(2 * n);
      const g = this.scratch.subarray(0, n);
      const u = this.scratch.subarray(n, 2 * n);
      for (let i = 0; i < n; i++) {
        g[i] = scale === 1 ? grad[i]! : f(grad[i]! * scale);
        u[i] = f(f(g[i]! * g[i]!) + EPS1);
      }
      let state = this.moments.get(name);
      if (state === undefined) {
        state = rows === 0 ? { full: new Float32Array(n) } : { row: new Float32Array(batch * rows), col: new Float32Array(batch * cols) };
        this.moments.set(name, state);
      }
      if (rows === 0) {
        const v = state.full!;
        for (let i = 0; i < n; i++) {
          v[i] = f(f(v[i]! * keep) + add * u[i]!);
          u[i] = f(f(1 / f(Math.sqrt(v[i]!))) * g[i]!);
        }
      } else {
        const row = state.row!;
        const col = state.col!;
        for (let b = 0; b < batch; b++) {
          const base = b * rows * cols;
          for (let r = 0; r < rows; r++) {
            let sum = 0;
            for (let c = 0; c < cols; c++) sum += u[base + r * cols + c]!;
            const k = b * rows + r;
            row[k] = f(f(row[k]! * keep) + add * f(sum / cols));
          }
          for (let c = 0; c < cols; c++) {
            let sum = 0;
            for (let r = 0; r < rows; r++) sum += u[base + r * cols + c]!;
            const k = b * cols + c;
            col[k] = f(f(col[k]! * keep) + add * f(sum / rows));
          }
          // _approx_sq_grad: rsqrt(row / mean(row)) (one per row) times rsqrt(col) (one per column), times g.
          let rowSum = 0;
          for (let r = 0; r < rows; r++) rowSum += row[b * rows + r]!;
          const rowMean = f(rowSum / rows);
          for (let r = 0; r < rows; r++) {
            const rf = f(1 / f(Math.sqrt(f(row[b * rows + r]! / rowMean))));
            for (let c = 0; c < cols; c++) {
              const i = base + r * cols + c;
              u[i] = f(f(rf * f(1 / f(Math.sqrt(col[b * cols + c]!)))) * g[i]!);
            }
          }
        }
      }
      // update /= max(1, rms(update) / clip_threshold); update *= lr
      let sq = 0;
      for (let i = 0; i < n; i++) sq += u[i]! * u[i]!;
      const rms = f(f(Math.sqrt(sq)) / f(Math.sqrt(n)));
      const divisor = f(Math.max(1, f(rms / CLIP_THRESHOLD)));
      const decay = this.noDecay(name) || this.weightDecay === 0 ? 0 : f(-this.weightDecay * lr);
      for (let i = 0; i < n; i++) {
        const step = f(f(u[i]! / divisor) * rate);
        const decayed = decay === 0 ? p[i]! : f(p[i]! + decay * p[i]!);
        p[i] = f(decayed - step);
      }
    }
  }

  state(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    const shapes = new Map<string, number[]>();
    for (const [name, m] of this.moments) {
      const shape = [...this.shapeOf(name)];
      if (m.full !== undefined) tensors.set(`${name}.exp_avg_sq`, m.full);
      if (m.row !== undefined) {
        tensors.set(`${name}.exp_avg_sq_row`, m.row);
        shapes.set(`${name}.exp_avg_sq_row`, shape.slice(0, -1));
      }
      if (m.col !== undefined) {
        tensors.set(`${name}.exp_avg_sq_col`, m.col);
        shapes.set(`${name}.exp_avg_sq_col`, [...shape.slice(0, -2), shape[shape.length - 1]!]);
      }
    }
    return { optimizer: 'adafactor', step: this.steps, tensors, shapes };
  }

  loadState(state: OptimizerState, params: ReadonlyMap<string, Float32Array>, source = 'optimizer state'): void {
    if (state.optimizer !== 'adafactor') {
      throw new VedError('INVALID_INPUT', `${source} was written by the ${state.optimizer} optimizer; this run uses adafactor.`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new VedError('INVALID_INPUT', `${source}: step is ${state.step}, expected a non-negative integer.`);
    const moments = new Map<string, { row?: Float32Array; col?: Float32Array; full?: Float32Array }>();
    for (const [key, buffer] of state.tensors) {
      const match = /^(.*)\.(exp_avg_sq|exp_avg_sq_row|exp_avg_sq_col)$/.exec(key);
      if (match === null) throw new VedError('INVALID_INPUT', `${source}: unexpected tensor "${key}"; Adafactor keeps "<parameter>.exp_avg_sq" or "<parameter>.exp_avg_sq_row" and "_col".`);
      const [, name, kind] = match as unknown as [string, string, string];
      const param = params.get(name);
      if (param === undefined) throw new VedError('INVALID_INPUT', `${source}: optimizer state "${key}" belongs to no trainable parameter of this model.`);
      const { batch, rows, cols } = this.layout(name, param.length);
      const expected = kind === 'exp_avg_sq' ? (rows === 0 ? cols : -1) : rows === 0 ? -1 : batch * (kind === 'exp_avg_sq_row' ? rows : cols);
      if (buffer.length !== expected) {
        throw new VedError('WEIGHT_SHAPE_MISMATCH', `${source}: optimizer state "${key}" has ${buffer.length} values; "${name}" of shape [${this.shapeOf(name).join(', ')}] needs ${expected < 0 ? 'no such buffer' : expected}.`);
      }
      const m = moments.get(name) ?? {};
      if (kind === 'exp_avg_sq') m.full = Float32Array.from(buffer);
      else if (kind === 'exp_avg_sq_row') m.row = Float32Array.from(buffer);
      else m.col = Float32Array.from(buffer);
      moments.set(name, m);
    }
    for (const [name, m] of moments) {
      if ((m.row === undefined) !== (m.col === undefined)) throw new VedError('INVALID_INPUT', `${source}: "${name}" has only one of exp_avg_sq_row and exp_avg_sq_col.`);
    }
    this.moments.clear();
    for (const [name, m] of moments) this.moments.set(name, m);
    this.steps = state.step;
  }
}
