/**
 * Tensor bytes as torch lays them out: strided views gathered into
 * contiguous (row-major) order, and element types converted to float32 as the
 * safetensors reader converts them.
 */
import { VedError } from '../../errors.js';
import type { SafetensorsDtype } from '../../safetensors/dtype.js';
import { bfloat16ToFloat32, float16ToFloat32 } from '../../safetensors/half-precision.js';

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

interface TypedArrayConstructor<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
}

function viewAs<T>(bytes: Uint8Array, Type: TypedArrayConstructor<T>): T {
  const length = bytes.byteLength / Type.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, length);
  return new Type(bytes.slice().buffer, 0, length);
}

/** Little-endian `raw` of `dtype` as float32 (a view for aligned F32); I32/I64 refused as in the safetensors reader. */
export function toFloat32(dtype: SafetensorsDtype, raw: Uint8Array, name: string, file: string): Float32Array {
  switch (dtype) {
    case 'F32':
      return viewAs(raw, Float32Array);
    case 'F64':
      return new Float32Array(viewAs(raw, Float64Array));
    case 'F16':
      return float16ToFloat32(viewAs(raw, Uint16Array));
    case 'BF16':
      return bfloat16ToFloat32(viewAs(raw, Uint16Array));
    case 'BOOL':
      return Float32Array.from(raw, (byte) => (byte === 0 ? 0 : 1));
    case 'U8':
      return new Float32Array(raw);
    case 'I8':
      return new Float32Array(new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    case 'I16':
      return new Float32Array(viewAs(raw, Int16Array));
    case 'I32':
    case 'I64':
      throw new VedError(
        'UNSUPPORTED_DTYPE',
        `Tensor ${JSON.stringify(name)} in ${JSON.stringify(file)} has dtype ${dtype}, which getFloat32 does not convert ` +
          `because float32 cannot hold every ${dtype} value exactly; read it with getRaw() instead.`,
      );
  }
}
