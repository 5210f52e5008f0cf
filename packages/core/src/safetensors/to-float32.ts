/**
 * Little-endian tensor bytes of a safetensors element type as float32: what
 * `getFloat32` returns, for safetensors files and for the torch and Flax
 * checkpoints whose tensors use the same element types.
 */
import { VedError } from '../errors.js';
import type { SafetensorsDtype } from './dtype.js';
import { bfloat16ToFloat32, float16ToFloat32 } from './half-precision.js';

/**
 * `raw` (little-endian, `dtype`) as float32: a view for aligned F32, a
 * conversion otherwise. I32 and I64 are refused: float32 cannot hold every
 * value of theirs exactly, so a silent rounding would be a wrong answer.
 * `name` and `file` name the tensor in that error.
 */
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

interface TypedArrayConstructor<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
}

/** `bytes` as a typed array: a view when aligned, else a view of an aligned copy. */
function viewAs<T>(bytes: Uint8Array, Type: TypedArrayConstructor<T>): T {
  const length = bytes.byteLength / Type.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, length);
  return new Type(bytes.slice().buffer, 0, length);
}
