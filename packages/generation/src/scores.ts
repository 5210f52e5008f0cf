/**
 * Next-token score matrices ([rows, vocab] float32) and the float32 math that
 * generation does on them. torch computes in float32; so do we, by rounding
 * each result with `Math.fround` where torch would store a float32.
 */

/** A [rows, vocab] float32 matrix: logits, log-probabilities or processed scores. */
export interface Scores {
  readonly data: Float32Array;
  readonly rows: number;
  readonly vocab: number;
}

/** Token ids so far, one array per row (start token and prompt included). */
export type InputIds = readonly (readonly number[])[];

export function makeScores(rows: number, vocab: number, data: Float32Array = new Float32Array(rows * vocab)): Scores {
  return { data, rows, vocab };
}

export function row(scores: Scores, r: number): Float32Array {
  return scores.data.subarray(r * scores.vocab, (r + 1) * scores.vocab);
}

export function cloneScores(scores: Scores): Scores {
  return { data: scores.data.slice(), rows: scores.rows, vocab: scores.vocab };
}

/**
 * A new matrix whose row r is `fn(inputRow, outputRow, r)`; the output row starts as a copy.
 * With `inPlace`, the output is `scores` itself (the two rows are one array: `fn` must not read an entry it wrote).
 */
export function mapRows(scores: Scores, fn: (src: Float32Array, dst: Float32Array, r: number) => void, inPlace = false): Scores {
  const out = inPlace ? scores : cloneScores(scores);
  for (let r = 0; r < scores.rows; r++) fn(row(scores, r), row(out, r), r);
  return out;
}

/** Largest finite-or-infinite value of a row (NaN-free rows). */
export function rowMax(src: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < src.length; i++) if (src[i]! > m) m = src[i]!;
  return m;
}

/** log_softmax of one row into `dst` (float32 results). */
export function logSoftmaxRow(src: ArrayLike<number>, dst: Float32Array): void {
  const m = rowMax(src);
  if (m === -Infinity || Number.isNaN(m)) {
    for (let i = 0; i < src.length; i++) dst[i] = Number.NaN;
    return;
  }
  let sum = 0;
  for (let i = 0; i < src.length; i++) sum += Math.exp(src[i]! - m);
  const lse = m + Math.log(sum);
  for (let i = 0; i < src.length; i++) dst[i] = src[i]! - lse;
}

/** softmax of one row, in float64 (callers round where torch would). */
export function softmaxRow(src: ArrayLike<number>): Float64Array {
  const out = new Float64Array(src.length);
  const m = rowMax(src);
  if (m === -Infinity) return out.fill(Number.NaN);
  let sum = 0;
  for (let i = 0; i < src.length; i++) {
    const e = Math.exp(src[i]! - m);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < src.length; i++) out[i] = out[i]! / sum;
  return out;
}

/** softmax rounded to float32, as torch returns it. */
export function softmaxRow32(src: ArrayLike<number>): Float32Array {
  return Float32Array.from(softmaxRow(src));
}

export function logSoftmax(scores: Scores): Scores {
  const out = makeScores(scores.rows, scores.vocab);
  for (let r = 0; r < scores.rows; r++) logSoftmaxRow(row(scores, r), row(out, r));
  return out;
}

/** Indices of `values` sorted by value (descending or ascending); ties keep index order (a stable sort). */
export function sortedIndices(values: ArrayLike<number>, descending: boolean): Int32Array {
  const idx = new Int32Array(values.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const key = (i: number) => {
    const v = values[i]!;
    // NaN sorts as the largest value, as in torch.sort.
    return Number.isNaN(v) ? Infinity : v;
  };
  idx.sort((a, b) => {
    const d = descending ? key(b) - key(a) : key(a) - key(b);
    return d !== 0 && !Number.isNaN(d) ? d : a - b;
  });
  return idx;
}

/** The k-th largest value of a row (k >= 1), as `torch.topk(row, k).values[-1]`. */
export function kthLargest(src: ArrayLike<number>, k: number): number {
  const sorted = Float32Array.from(src).sort();
  return sorted[sorted.length - k]!;
}

/** Index of the largest value of a row; ties go to the first (torch.argmax). NaN counts as the largest. */
export function argmax(data: ArrayLike<number>, offset = 0, length = data.length - offset): number {
  let best = 0;
  let bestValue = -Infinity;
  let seen = false;
  for (let i = 0; i < length; i++) {
    const v = data[offset + i]!;
    if (Number.isNaN(v)) return i;
    if (!seen || v > bestValue) {
      best = i;
      bestValue = v;
      seen = true;
    }
  }
  return best;
}

/** Python's float32 constant `torch.finfo(torch.float32).max`. */
export const FLOAT32_MAX = 3.4028234663852886e38;
