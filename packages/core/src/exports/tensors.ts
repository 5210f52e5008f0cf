/**
 * Tensor plumbing for exported graphs: float32 ↔ float16 at the graph's
 * boundary (the element type the graph declares wins), row gathers for beam
 * reordering of any element type, and the empty first-step caches.
 */
import type { Runtime, Tensor, TensorData } from '../runtime.js';
import { float16ToFloat32, float32ToFloat16 } from '../safetensors/index.js';
import type { Dims, FloatType } from './signature.js';

/** A float tensor of `type` from float32 values (narrowed to float16 when the graph wants it). */
export function floatTensor(runtime: Runtime, type: FloatType, values: Float32Array, dims: readonly number[]): Tensor {
  return type === 'float16' ? runtime.tensor('float16', float32ToFloat16(values), dims) : runtime.tensor('float32', values, dims);
}

/** The values of a float32 or float16 tensor as float32 (a view for float32). */
export function float32Data(t: Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const data = t.data as unknown;
    // onnxruntime gives Uint16Array bits, or a Float16Array where the platform has one.
    return data instanceof Uint16Array ? float16ToFloat32(data) : Float32Array.from(data as ArrayLike<number>);
  }
  throw new TypeError(`expected a float tensor, got ${t.type}`);
}

/** `t` converted to `type` (returned as is when it already has it). */
export function convertFloat(runtime: Runtime, t: Tensor, type: FloatType): Tensor {
  return t.type === type ? t : floatTensor(runtime, type, float32Data(t), t.dims);
}

type Typed = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

/**
 * Rows `rows` of `t`, whose leading dimension holds `currentRows` rows (or
 * `currentRows × k` for caches laid out as [batch·heads, …]).
 */
export function gatherRows(runtime: Runtime, t: Tensor, currentRows: number, rows: readonly number[]): Tensor {
  const data = t.data as Typed;
  const rowSize = currentRows === 0 ? 0 : data.length / currentRows;
  const Ctor = data.constructor as new (n: number) => Typed;
  const out = new Ctor(rows.length * rowSize);
  rows.forEach((r, i) => (out as Float32Array).set((data as Float32Array).subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
  const lead = (t.dims[0] ?? 0) / Math.max(currentRows, 1);
  return runtime.tensor(t.type as never, out as TensorData, [rows.length * lead, ...t.dims.slice(1)]);
}

/**
 * An empty first-step cache tensor for a slot declared with `dims`: the batch
 * (first) axis is `rows`, the sequence axis (third of four, second of three)
 * is 0, fixed sizes stay, and other symbolic sizes come from `fallback`
 * (heads, head size) when the graph leaves them open.
 */
export function emptyCache(runtime: Runtime, type: FloatType, dims: Dims, rows: number, fallback: { heads?: number; headDim?: number }): Tensor {
  const rank = dims.length === 0 ? 4 : dims.length;
  const seqAxis = rank - 2;
  const shape = Array.from({ length: rank }, (_, i) => {
    const d = dims[i];
    if (i === 0) return typeof d === 'string' && /heads/.test(d) && fallback.heads !== undefined ? rows * fallback.heads : rows;
    if (i === seqAxis) return 0;
    if (typeof d === 'number') return d;
    if (i === rank - 1) return fallback.headDim ?? 0;
    return fallback.heads ?? 0;
  });
  return type === 'float16' ? runtime.tensor('float16', new Uint16Array(0), shape) : runtime.tensor('float32', new Float32Array(0), shape);
}

export function int64Tensor(runtime: Runtime, values: readonly number[] | BigInt64Array, dims: readonly number[]): Tensor {
  const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v) => BigInt(v));
  return runtime.tensor('int64', data, dims);
}
