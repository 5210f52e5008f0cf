/**
 * Tensor bytes as torch lays them out: strided views gathered into
 * contiguous (row-major) order. Element types convert to float32 as the
 * safetensors reader converts them (`safetensors/to-float32.ts`).
 */
/** Whether `stride` is the row-major stride of `shape` (dimensions of size 1 may have any stride), as torch's `is_contiguous`. */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const size = shape[i]!;
    if (size === 0) return true;
    if (size !== 1 && stride[i] !== expected) return false;
    expected *= size;
  }
  return true;
}

/**
 * The elements of a strided view, in row-major order. `bytes` starts at the
 * view's first element and covers its whole span.
 */
export function gatherStrided(bytes: Uint8Array, itemsize: number, shape: readonly number[], stride: readonly number[]): Uint8Array {
  const numel = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(numel * itemsize);
  if (numel === 0) return out;
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let n = 0; n < numel; n++) {
    out.set(bytes.subarray(source * itemsize, (source + 1) * itemsize), n * itemsize);
    // Odometer step over the last axis first.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += stride[axis]!;
      if (index[axis]! < shape[axis]!) break;
      source -= stride[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}
