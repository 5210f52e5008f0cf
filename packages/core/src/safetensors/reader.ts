/**
 * Reads a safetensors file held in memory. The whole header is validated up
 * front, so a file that parses can be read tensor by tensor without further
 * checks, and malicious headers (huge or negative numbers, overlapping ranges,
 * `__proto__` keys) fail with a `VedError` instead of misbehaving.
 *
 * Format (https://huggingface.co/docs/safetensors): a little-endian u64 header
 * length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`,
 * then the data, with offsets relative to its start. The data must be covered
 * exactly by the tensors, as the reference implementation requires.
 *
 * Tensor bytes are little-endian; typed-array views assume a little-endian host,
 * which every platform ved targets is.
 */
import { VedError, listChoices } from '../errors.js';
import {
  SAFETENSORS_DTYPES,
  checkedByteLength,
  dtypeItemsize,
  isSafetensorsDtype,
  type SafetensorsDtype,
} from './dtype.js';
import { describeJson, isJsonObject, ownField } from './json-value.js';
import { toFloat32 } from './to-float32.js';
import { missingTensorError, type TensorInfo, type TensorSource } from './tensor-source.js';

/** The reference implementation's limit on the header; a larger one means a corrupt file. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensorInfo extends TensorInfo {
  /** Offset of the tensor's first byte from the start of the file. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface SafetensorsFile extends TensorSource {
  readonly fileName: string;
  /** The header's `__metadata__` (e.g. `{format: "pt"}`); empty when absent. A null-prototype object. */
  readonly metadata: Readonly<Record<string, string>>;
  info(name: string): SafetensorsTensorInfo;
  /**
   * The tensor as float32: F32 (a view of the file when 4-byte aligned, a copy otherwise), F64, F16
   * and BF16 converted, and the integer types float32 holds exactly (BOOL, U8, I8, I16). I32 and I64
   * throw `UNSUPPORTED_DTYPE`, since float32 would silently round large values: use `getRaw`.
   */
  getFloat32(name: string): Float32Array;
  /** The tensor's stored bytes (little-endian), a view into the file: do not mutate. */
  getRaw(name: string): Uint8Array;
}

/** Parses and validates a whole safetensors file; `fileName` is used in error messages. */
export function parseSafetensors(bytes: Uint8Array, fileName: string): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes, bytes.length, fileName);
  return new ParsedSafetensorsFile((start, end) => bytes.subarray(start, end), fileName, header.metadata, header.tensors);
}

export interface SafetensorsHeader {
  /** Bytes before the data: 8 + the JSON header. */
  readonly dataStart: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
}

/** The 8-byte length prefix: how many bytes to read to hold the whole header. */
export function safetensorsHeaderSize(prefix: Uint8Array, fileName: string): number {
  if (prefix.length < 8) {
    throw new VedError(
      'INVALID_SAFETENSORS',
      `${JSON.stringify(fileName)} is not a valid safetensors file: it is ${prefix.length} byte(s) long, shorter than the 8-byte header length that starts every file.`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const low = view.getUint32(0, true);
  return view.getUint32(4, true) !== 0 || low > MAX_HEADER_BYTES ? MAX_HEADER_BYTES + 9 : 8 + low;
}

/**
 * A file read in ranges (e.g. from disk, without loading the data): only the
 * header is parsed up front; `readRange(start, end)` serves the tensors.
 */
export function openSafetensors(
  headerBytes: Uint8Array,
  fileLength: number,
  fileName: string,
  readRange: (start: number, end: number) => Uint8Array,
  /** Absolute path of the file when it is on local disk (enables `external()`). */
  localPath?: string,
): SafetensorsFile {
  const header = parseSafetensorsHeader(headerBytes, fileLength, fileName);
  return new ParsedSafetensorsFile(readRange, fileName, header.metadata, header.tensors, localPath);
}

/**
 * Parses and validates the header of a file of `fileLength` bytes, given at
 * least its first 8 + header-length bytes.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileLength: number, fileName: string): SafetensorsHeader {
  const invalid = (detail: string): VedError =>
    new VedError('INVALID_SAFETENSORS', `${JSON.stringify(fileName)} is not a valid safetensors file: ${detail}.`);

  if (fileLength < 8 || bytes.length < 8) {
    throw invalid(`it is ${fileLength} byte(s) long, shorter than the 8-byte header length that starts every file`);
  }
  const prefix = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const low = prefix.getUint32(0, true);
  const high = prefix.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    const declared = ((BigInt(high) << 32n) | BigInt(low)).toString();
    throw invalid(
      `its first 8 bytes declare a ${declared}-byte header, more than the ${MAX_HEADER_BYTES}-byte limit ` +
        `(the file is corrupt or not a safetensors file)`,
    );
  }
  const headerLength = low;
  const dataStart = 8 + headerLength;
  if (dataStart > fileLength || dataStart > bytes.length) {
    throw invalid(
      `its first 8 bytes declare a ${headerLength}-byte header, so the file should be at least ${dataStart} bytes, ` +
        `but it is ${fileLength} bytes (the file is truncated or not a safetensors file)`,
    );
  }

  let headerText: string;
  try {
    // ignoreBOM keeps a leading BOM in the text, where JSON.parse rejects it as the reference does.
    headerText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw invalid('its header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    throw invalid(`its header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isJsonObject(header)) {
    throw invalid(`its header is ${describeJson(header)}, expected a JSON object`);
  }

  let metadata: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(value, invalid);
    else entries.push(parseEntry(name, value, fileName, invalid));
  }

  const dataLength = fileLength - dataStart;
  checkCoverage(entries, dataStart, dataLength, fileLength, invalid);

  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const entry of [...entries].sort(byOffsets)) {
    tensors.set(
      entry.name,
      Object.freeze({
        dtype: entry.dtype,
        shape: Object.freeze(entry.shape),
        byteOffset: dataStart + entry.begin,
        byteLength: entry.end - entry.begin,
      }),
    );
  }
  return { dataStart, metadata, tensors };
}

interface Entry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function parseEntry(name: string, value: unknown, fileName: string, invalid: (detail: string) => VedError): Entry {
  const tensor = `tensor ${JSON.stringify(name)}`;
  if (!isJsonObject(value)) {
    throw invalid(`${tensor} is described by ${describeJson(value)}, expected an object with dtype, shape and data_offsets`);
  }
  const dtype = ownField(value, 'dtype');
  if (typeof dtype !== 'string') {
    throw invalid(`${tensor} has dtype ${describeJson(dtype)}, expected a string such as "F32"`);
  }
  if (!isSafetensorsDtype(dtype)) {
    throw new VedError(
      'UNSUPPORTED_DTYPE',
      `Tensor ${JSON.stringify(name)} in ${JSON.stringify(fileName)} has dtype ${JSON.stringify(dtype)}, ` +
        `which ved does not support; supported dtypes: ${listChoices(SAFETENSORS_DTYPES)}.`,
    );
  }
  const shape = ownField(value, 'shape');
  const size = checkedByteLength(shape, dtypeItemsize(dtype));
  if (!size.ok) throw invalid(`${tensor}: ${size.problem}`);

  const offsets = ownField(value, 'data_offsets');
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isByteIndex) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw invalid(`${tensor} has data_offsets ${describeJson(offsets)}, expected [begin, end] with integers 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  if (end - begin !== size.byteLength) {
    throw invalid(
      `${tensor} has data_offsets [${begin}, ${end}] (${end - begin} bytes), but dtype ${dtype} with shape ` +
        `[${(shape as number[]).join(', ')}] needs ${size.byteLength} bytes`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

function parseMetadata(value: unknown, invalid: (detail: string) => VedError): Readonly<Record<string, string>> {
  const metadata = Object.create(null) as Record<string, string>;
  // The reference reads `__metadata__` as Option<HashMap>, so null means "none".
  if (value === null) return Object.freeze(metadata);
  if (!isJsonObject(value)) {
    throw invalid(`__metadata__ is ${describeJson(value)}, expected an object mapping strings to strings`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw invalid(`__metadata__[${JSON.stringify(key)}] is ${describeJson(item)}, expected a string`);
    }
    metadata[key] = item;
  }
  return Object.freeze(metadata);
}

/** Checks that the tensors tile the data exactly: nothing past the end, no overlap, no hole. */
function checkCoverage(
  entries: readonly Entry[],
  dataStart: number,
  dataLength: number,
  fileLength: number,
  invalid: (detail: string) => VedError,
): void {
  let furthest: Entry | undefined;
  for (const entry of entries) if (furthest === undefined || entry.end > furthest.end) furthest = entry;
  if (furthest !== undefined && furthest.end > dataLength) {
    throw invalid(
      `the file is truncated: tensor ${JSON.stringify(furthest.name)} ends at data byte ${furthest.end}, so the file ` +
        `should be ${dataStart + furthest.end} bytes (8 + ${dataStart - 8}-byte header + data), but it is ${fileLength} bytes`,
    );
  }
  let cursor = 0;
  let previous: Entry | undefined;
  for (const entry of [...entries].sort(byOffsets)) {
    const range = `${JSON.stringify(entry.name)} (data bytes [${entry.begin}, ${entry.end}))`;
    if (previous !== undefined && entry.begin < cursor) {
      throw invalid(
        `tensor ${range} overlaps tensor ${JSON.stringify(previous.name)} (data bytes [${previous.begin}, ${previous.end}))`,
      );
    }
    if (entry.begin > cursor) {
      const where =
        previous === undefined
          ? `at the start of the data, before tensor ${range},`
          : `between tensor ${JSON.stringify(previous.name)} and tensor ${range}`;
      throw invalid(`data bytes [${cursor}, ${entry.begin}) ${where} belong to no tensor; tensors must cover the data exactly`);
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    throw invalid(
      `the tensors cover ${cursor} data bytes but the data is ${dataLength} bytes: ${dataLength - cursor} trailing ` +
        `byte(s) belong to no tensor; tensors must cover the data exactly`,
    );
  }
}

class ParsedSafetensorsFile implements SafetensorsFile {
  constructor(
    private readonly readRange: (start: number, end: number) => Uint8Array,
    readonly fileName: string,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>,
    private readonly localPath?: string,
  ) {}

  external(name: string): { file: string; offset: number; length: number } | undefined {
    const info = this.info(name);
    if (this.localPath === undefined || info.dtype !== 'F32') return undefined;
    return { file: this.localPath, offset: info.byteOffset, length: info.byteLength };
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    const info = this.tensors.get(name);
    if (info === undefined) throw missingTensorError(name, JSON.stringify(this.fileName), this.names());
    return info;
  }

  sourceOf(name: string): string {
    this.info(name);
    return this.fileName;
  }

  getRaw(name: string): Uint8Array {
    const { byteOffset, byteLength } = this.info(name);
    return this.readRange(byteOffset, byteOffset + byteLength);
  }

  getFloat32(name: string): Float32Array {
    return toFloat32(this.info(name).dtype, this.getRaw(name), name, this.fileName);
  }
}

function byOffsets(a: Entry, b: Entry): number {
  return a.begin - b.begin || a.end - b.end;
}

function isByteIndex(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
