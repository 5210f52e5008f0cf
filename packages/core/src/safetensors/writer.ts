/**
 * Writes safetensors files byte-for-byte as the reference serializer does
 * (`serialize` in huggingface/safetensors `safetensors/src/tensor.rs`, which
 * Python's `save_file` calls):
 *
 * - tensors are laid out by dtype, in descending order of the Rust `Dtype` enum
 *   (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL among ved's types), then by
 *   name in UTF-8 byte order; so larger types come first and stay aligned;
 * - the header lists `__metadata__` first (only when metadata is given, even if
 *   empty), then the tensors in layout order, as compact JSON with keys
 *   `dtype`, `shape`, `data_offsets`;
 * - the header is padded with spaces to a multiple of 8 bytes.
 *
 * Two differences, both where the reference is not reproducible or not valid:
 * it keeps metadata in a Rust HashMap, so with two or more metadata keys
 * Python's key order changes from run to run (here it is the order of
 * `Object.keys(metadata)`); and with no tensors and empty metadata it writes
 * the invalid header `{},"__metadata__":{}}` (safetensors 0.8.0), where this
 * writes `{"__metadata__":{}}`.
 */
import { VedError, listChoices } from '../errors.js';
import { SAFETENSORS_DTYPES, checkedByteLength, dtypeItemsize, dtypeRank, isSafetensorsDtype, type SafetensorsDtype } from './dtype.js';
import { compareCodePoints, describeJson, isJsonObject } from './json-value.js';

export interface TensorToSave {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /**
   * The elements' little-endian bytes, e.g. a Float32Array for F32, the bit patterns as a Uint16Array
   * for F16 and BF16 (see `float32ToFloat16`, `float32ToBfloat16`), a BigInt64Array for I64, and a
   * Uint8Array of 0/1 for BOOL. Only its byte length is checked against dtype and shape.
   */
  readonly data: ArrayBufferView;
}

/** Serializes `tensors` (and `metadata`, e.g. `{format: "pt"}`) into a safetensors file. */
export function serializeSafetensors(
  tensors: readonly TensorToSave[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  return joinBytes(safetensorsParts(tensors, metadata));
}

/** The pieces of a file (e.g. `safetensorsParts`), joined into one new buffer. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * The same file as `serializeSafetensors`, as the pieces to write one after the other: the length
 * prefix and header, then each tensor's bytes as a view of its data (nothing copied), so that a large
 * file can be written without holding a second copy of its tensors. The views read the tensors when
 * written: they must not change until then.
 */
export function safetensorsParts(
  tensors: readonly TensorToSave[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array[] {
  const checked = tensors.map(checkTensor);
  const seen = new Set<string>();
  for (const { name } of checked) {
    if (seen.has(name)) throw badInput(`tensor name ${JSON.stringify(name)} is used twice; names must be unique`);
    seen.add(name);
  }
  const ordered = [...checked].sort((a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareCodePoints(a.name, b.name));

  const fields: string[] = [];
  if (metadata !== undefined) fields.push(`"__metadata__":${metadataJson(metadata)}`);
  let offset = 0;
  for (const tensor of ordered) {
    const end = offset + tensor.data.byteLength;
    fields.push(
      `${JSON.stringify(tensor.name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;

  const head = new Uint8Array(8 + headerLength);
  const prefix = new DataView(head.buffer, 0, 8);
  prefix.setUint32(0, headerLength % 2 ** 32, true);
  prefix.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  head.set(json, 8);
  head.fill(0x20, 8 + json.length, 8 + headerLength);
  return [head, ...ordered.map(({ data }) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength))];
}

function checkTensor(tensor: TensorToSave, position: number): TensorToSave {
  const label = `tensors[${position}]`;
  if (typeof tensor !== 'object' || tensor === null) throw badInput(`${label} is ${describeJson(tensor)}, expected {name, dtype, shape, data}`);
  const { name, dtype, shape, data } = tensor;
  if (typeof name !== 'string' || hasLoneSurrogate(name)) {
    throw badInput(`${label}.name is ${describeJson(name)}, expected a well-formed Unicode string`);
  }
  const tensorLabel = `tensor ${JSON.stringify(name)}`;
  if (name === '__metadata__') throw badInput(`${tensorLabel}: this name is reserved for the metadata`);
  if (!isSafetensorsDtype(dtype)) {
    throw new VedError(
      'UNSUPPORTED_DTYPE',
      `Cannot save ${tensorLabel}: dtype ${describeJson(dtype)} is not supported; supported dtypes: ${listChoices(SAFETENSORS_DTYPES)}.`,
    );
  }
  const size = checkedByteLength(shape, dtypeItemsize(dtype));
  if (!size.ok) throw badInput(`${tensorLabel}: ${size.problem}`);
  if (!ArrayBuffer.isView(data)) throw badInput(`${tensorLabel}: data is ${describeJson(data)}, expected a typed array or DataView`);
  if (data.byteLength !== size.byteLength) {
    const hint =
      (dtype === 'F16' || dtype === 'BF16') && data instanceof Float32Array
        ? ` (pass the 16-bit patterns, e.g. float32To${dtype === 'F16' ? 'Float16' : 'Bfloat16'}(values))`
        : '';
    throw badInput(
      `${tensorLabel}: data is ${data.byteLength} bytes, but dtype ${dtype} with shape [${shape.join(', ')}] ` +
        `needs ${size.byteLength} bytes${hint}`,
    );
  }
  return { name, dtype, shape: [...shape], data };
}

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  if (!isJsonObject(metadata)) throw badInput(`metadata is ${describeJson(metadata)}, expected an object mapping strings to strings`);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string' || hasLoneSurrogate(value) || hasLoneSurrogate(key)) {
      throw badInput(`metadata[${JSON.stringify(key)}] is ${describeJson(value)}, expected a well-formed Unicode string`);
    }
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}

/** True when `text` cannot be encoded as UTF-8 (the reference takes Rust strings, which always can). */
function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function badInput(detail: string): VedError {
  return new VedError('INVALID_INPUT', `Cannot serialize safetensors: ${detail}.`);
}
