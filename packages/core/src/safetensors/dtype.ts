/**
 * The safetensors element types ved reads and writes, with their sizes and the
 * order the reference serializer lays them out in.
 *
 * Reference: the `Dtype` enum of huggingface/safetensors (`safetensors/src/tensor.rs`).
 */
import { VedError, listChoices } from '../errors.js';
import { describeJson } from './json-value.js';

/** Element types ved accepts. Other safetensors types (F8_*, F4, U16, U32, U64, C64, ...) are rejected. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

interface DtypeInfo {
  /** Bytes per element. */
  readonly itemsize: number;
  /**
   * Position in the Rust `Dtype` enum (`BOOL < ... < U8 < I8 < ... < I16 < U16 < F16 < BF16 < I32 <
   * U32 < F32 < C64 < F64 < I64 < U64`). The serializer orders tensors by this, descending, then by
   * name; only the relative order matters, so the gaps left by unsupported types are harmless.
   */
  readonly rank: number;
}

const DTYPES: ReadonlyMap<string, DtypeInfo> = new Map<SafetensorsDtype, DtypeInfo>([
  ['BOOL', { itemsize: 1, rank: 0 }],
  ['U8', { itemsize: 1, rank: 4 }],
  ['I8', { itemsize: 1, rank: 5 }],
  ['I16', { itemsize: 2, rank: 9 }],
  ['F16', { itemsize: 2, rank: 11 }],
  ['BF16', { itemsize: 2, rank: 12 }],
  ['I32', { itemsize: 4, rank: 13 }],
  ['F32', { itemsize: 4, rank: 15 }],
  ['F64', { itemsize: 8, rank: 17 }],
  ['I64', { itemsize: 8, rank: 18 }],
]);

/** All accepted dtype names. */
export const SAFETENSORS_DTYPES: readonly SafetensorsDtype[] = [...DTYPES.keys()] as SafetensorsDtype[];

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && DTYPES.has(value);
}

/** Bytes per element of `dtype`. */
export function dtypeItemsize(dtype: SafetensorsDtype): number {
  return dtypeInfo(dtype).itemsize;
}

/** Sort key used by the reference serializer (higher first). */
export function dtypeRank(dtype: SafetensorsDtype): number {
  return dtypeInfo(dtype).rank;
}

function dtypeInfo(dtype: SafetensorsDtype): DtypeInfo {
  const info = DTYPES.get(dtype);
  if (info === undefined) {
    // Only reachable when a caller bypasses the type system (plain JS, `as` casts).
    throw new VedError('UNSUPPORTED_DTYPE', `Unsupported dtype ${JSON.stringify(dtype)}; expected one of ${listChoices(DTYPES.keys())}.`);
  }
  return info;
}

/** Byte length of a tensor of `shape`, or why `shape` cannot describe one. */
export type ByteLengthResult = { ok: true; byteLength: number } | { ok: false; problem: string };

/**
 * Checks that `shape` is an array of non-negative safe integers and that the tensor's byte length
 * (elements times `itemsize`) stays below 2^53, and returns that byte length.
 */
export function checkedByteLength(shape: unknown, itemsize: number): ByteLengthResult {
  if (!Array.isArray(shape)) {
    return { ok: false, problem: `shape ${describeJson(shape)} is not an array of non-negative integers` };
  }
  let total = itemsize;
  for (const [axis, dim] of (shape as unknown[]).entries()) {
    if (typeof dim === 'number' && Number.isInteger(dim) && dim > Number.MAX_SAFE_INTEGER) {
      // JSON numbers this large have lost their last digits already; the size itself is the problem.
      return {
        ok: false,
        problem:
          `shape [${(shape as unknown[]).map(describeJson).join(', ')}] has ${describeJson(dim)} at axis ${axis} (about 2^${Math.log2(dim).toFixed(1)}): no tensor can be that large ` +
          '(its byte length overflows; Python\'s safetensors: "overflow computing buffer size from shape"), so the header is damaged',
      };
    }
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      return {
        ok: false,
        problem: `shape [${(shape as unknown[]).map(describeJson).join(', ')}] has ${describeJson(dim)} at axis ${axis}, expected a non-negative integer`,
      };
    }
    total *= dim;
  }
  // Every factor is a safe integer, so a product that fits below 2^53 was computed exactly.
  if (!(total <= Number.MAX_SAFE_INTEGER)) {
    return {
      ok: false,
      problem: `shape [${shape.join(', ')}] describes ${total.toExponential(3)} bytes: more than 2^53 bytes (Python's safetensors: "overflow computing buffer size from shape")`,
    };
  }
  return { ok: true, byteLength: total };
}
