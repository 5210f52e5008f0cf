/**
 * Reads the directory of a ZIP archive (torch's `.bin` files are ZIPs) and
 * serves each entry's bytes on demand: stored entries as a byte range of the
 * file (so a float32 storage can reach onnxruntime as external data, never
 * passing through JavaScript), deflated entries inflated into a buffer of
 * exactly their declared size.
 *
 * Format: PKWARE's APPNOTE.TXT (end of central directory, its ZIP64 variant,
 * central and local file headers). Hand-written rather than taken from a
 * library because the torch reader needs what none offers together: synchronous
 * ranged reads (tensors are read synchronously, like safetensors), the data
 * offset of each stored entry (for external data), and strict validation with
 * typed errors. Decompression is fflate's, which runs on Node and in browsers.
 *
 * Hostile archives are refused: entry names that are absolute or climb out
 * (`../`), duplicate names, encrypted entries, ranges outside the file,
 * directories larger than the file can hold, and deflated entries claiming more
 * than DEFLATE can expand to (zip bombs). Memory stays bounded by what the
 * caller asks for: an entry is only ever inflated into a buffer of its declared
 * size, which the caller checks first.
 */
import { inflateSync } from 'fflate';
import { VedError } from '../../errors.js';
import { checkRange, type RandomAccessFile } from '../random-access.js';
import { crc32 } from './crc32.js';

export interface ZipEntry {
  readonly name: string;
  /** 0 (stored) or 8 (deflated). */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  /** Offset of the local file header. */
  readonly headerOffset: number;
  /** Length of the name in bytes (UTF-8), as the central directory gives it. */
  readonly nameLength: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
/** DEFLATE's largest expansion is about 1032:1 (258 bytes from a 2-bit code). */
const MAX_DEFLATE_RATIO = 1032;

export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();
  private readonly dataStarts = new Map<string, number>();
  /** The last deflated entry inflated: tensors sharing a storage inflate it once. */
  private lastInflated: { name: string; bytes: Uint8Array } | undefined;

  private constructor(
    readonly file: RandomAccessFile,
    readonly entries: readonly ZipEntry[],
  ) {
    for (const entry of entries) this.byName.set(entry.name, entry);
  }

  /** Whether `bytes` (the start of a file) begin like a ZIP archive. */
  static looksLikeZip(head: Uint8Array): boolean {
    return head.length >= 4 && readU32(head, 0) === LOCAL_SIGNATURE;
  }

  /** Parses the central directory of `file`; throws `INVALID_CHECKPOINT` for anything malformed. */
  static open(file: RandomAccessFile): ZipArchive {
    const { entryCount, directoryOffset, directorySize } = readEndOfDirectory(file);
    const bad = (detail: string) => invalid(file, detail);
    if (directoryOffset + directorySize > file.length) {
      throw bad(`its central directory [${directoryOffset}, ${directoryOffset + directorySize}) lies past the end of the file (${file.length} bytes): the file is truncated`);
    }
    if (entryCount * CENTRAL_SIZE > directorySize) {
      throw bad(`its directory claims ${entryCount} entries, more than ${directorySize} bytes can describe`);
    }
    const dir = file.read(directoryOffset, directoryOffset + directorySize);
    const entries: ZipEntry[] = [];
    const names = new Set<string>();
    let at = 0;
    for (let i = 0; i < entryCount; i++) {
      if (at + CENTRAL_SIZE > dir.length || readU32(dir, at) !== CENTRAL_SIGNATURE) {
        throw bad(`central directory entry ${i} at byte ${directoryOffset + at} is malformed`);
      }
      const flags = readU16(dir, at + 8);
      const method = readU16(dir, at + 10);
      const crc = readU32(dir, at + 16);
      let compressedSize = readU32(dir, at + 20);
      let uncompressedSize = readU32(dir, at + 24);
      const nameLength = readU16(dir, at + 28);
      const extraLength = readU16(dir, at + 30);
      const commentLength = readU16(dir, at + 32);
      let headerOffset = readU32(dir, at + 42);
      const end = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
      if (end > dir.length) throw bad(`central directory entry ${i} runs past the directory's end`);
      const name = decodeName(dir.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength), file);
      const extra = dir.subarray(at + CENTRAL_SIZE + nameLength, at + CENTRAL_SIZE + nameLength + extraLength);
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || headerOffset === 0xffffffff) {
        const wide = readZip64Extra(extra, { uncompressedSize, compressedSize, headerOffset }, () => bad(`entry ${JSON.stringify(name)} has a malformed ZIP64 extra field`));
        ({ uncompressedSize, compressedSize, headerOffset } = wide);
      }
      checkName(name, file);
      if (names.has(name)) throw bad(`entry ${JSON.stringify(name)} appears twice`);
      names.add(name);
      if ((flags & 1) !== 0) throw bad(`entry ${JSON.stringify(name)} is encrypted`);
      if (method !== 0 && method !== 8) {
        throw bad(`entry ${JSON.stringify(name)} uses compression method ${method}; ved reads stored (0) and deflated (8) entries`);
      }
      if (method === 0 && compressedSize !== uncompressedSize) {
        throw bad(`stored entry ${JSON.stringify(name)} declares ${compressedSize} stored bytes but ${uncompressedSize} uncompressed bytes`);
      }
      if (method === 8 && uncompressedSize > compressedSize * MAX_DEFLATE_RATIO + 1024) {
        throw bad(`deflated entry ${JSON.stringify(name)} claims ${uncompressedSize} bytes from ${compressedSize} compressed bytes, more than DEFLATE can expand to (a zip bomb)`);
      }
      if (headerOffset + LOCAL_SIZE + compressedSize > directoryOffset) {
        throw bad(`entry ${JSON.stringify(name)} (local header at ${headerOffset}, ${compressedSize} bytes) overlaps the central directory at ${directoryOffset}`);
      }
      entries.push({ name, method, compressedSize, uncompressedSize, crc32: crc, headerOffset, nameLength });
      at = end;
    }
    return new ZipArchive(file, entries);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): ZipEntry {
    const entry = this.byName.get(name);
    if (entry === undefined) throw invalid(this.file, `it has no entry ${JSON.stringify(name)}`);
    return entry;
  }

  /** Absolute offset of the entry's data (after its local header), checked against the central directory. */
  dataStart(name: string): number {
    const cached = this.dataStarts.get(name);
    if (cached !== undefined) return cached;
    const entry = this.entry(name);
    // One read: the fixed header and the name, whose length the central directory already gave.
    const headerEnd = Math.min(this.file.length, entry.headerOffset + LOCAL_SIZE + entry.nameLength);
    const header = this.file.read(entry.headerOffset, headerEnd);
    if (header.length < LOCAL_SIZE || readU32(header, 0) !== LOCAL_SIGNATURE) {
      throw invalid(this.file, `the local header of entry ${JSON.stringify(name)} at byte ${entry.headerOffset} is missing`);
    }
    if (readU16(header, 8) !== entry.method) {
      throw invalid(this.file, `entry ${JSON.stringify(name)}'s local header says method ${readU16(header, 8)}, its directory entry ${entry.method}`);
    }
    const nameLength = readU16(header, 26);
    const extraLength = readU16(header, 28);
    const localName =
      nameLength === entry.nameLength && header.length === LOCAL_SIZE + nameLength
        ? decodeName(header.subarray(LOCAL_SIZE), this.file)
        : decodeName(this.file.read(entry.headerOffset + LOCAL_SIZE, entry.headerOffset + LOCAL_SIZE + nameLength), this.file);
    if (localName !== name) {
      throw invalid(this.file, `entry ${JSON.stringify(name)}'s local header names ${JSON.stringify(localName)}`);
    }
    const start = entry.headerOffset + LOCAL_SIZE + nameLength + extraLength;
    checkRange(this.file.name, this.file.length, start, start + entry.compressedSize);
    this.dataStarts.set(name, start);
    return start;
  }

  /**
   * The whole entry, inflated if needed (and its CRC-32 checked). `maxBytes`
   * bounds the memory the caller allows for it.
   */
  read(name: string, maxBytes: number): Uint8Array {
    const entry = this.entry(name);
    if (entry.uncompressedSize > maxBytes) {
      throw invalid(this.file, `entry ${JSON.stringify(name)} declares ${entry.uncompressedSize} bytes, more than the ${maxBytes} expected of it`);
    }
    const start = this.dataStart(name);
    const stored = this.file.read(start, start + entry.compressedSize);
    const bytes = entry.method === 0 ? stored : this.inflate(entry, stored);
    if (crc32(bytes) !== entry.crc32) throw invalid(this.file, `entry ${JSON.stringify(name)} fails its CRC-32 check: the data is corrupt`);
    return bytes;
  }

  /** Bytes [start, end) of the entry's uncompressed data; stored entries are read as that range alone. */
  readRange(name: string, start: number, end: number): Uint8Array {
    const entry = this.entry(name);
    checkRange(`${this.file.name}:${name}`, entry.uncompressedSize, start, end);
    if (entry.method === 0) {
      const data = this.dataStart(name);
      return this.file.read(data + start, data + end);
    }
    if (this.lastInflated?.name !== name) this.lastInflated = { name, bytes: this.read(name, entry.uncompressedSize) };
    return this.lastInflated.bytes.subarray(start, end);
  }

  private inflate(entry: ZipEntry, compressed: Uint8Array): Uint8Array {
    let out: Uint8Array;
    try {
      out = new Uint8Array(entry.uncompressedSize);
    } catch (cause) {
      throw new VedError('INVALID_CHECKPOINT', `${this.file.name}: entry ${JSON.stringify(entry.name)} needs ${entry.uncompressedSize} bytes, which cannot be allocated.`, { cause });
    }
    let result: Uint8Array;
    try {
      // With `out`, fflate never writes past it: a stream longer than declared is cut, and the CRC catches it.
      result = inflateSync(compressed, { out });
    } catch (cause) {
      throw new VedError('INVALID_CHECKPOINT', `${this.file.name}: entry ${JSON.stringify(entry.name)} is not valid DEFLATE data (${(cause as Error).message}).`, { cause });
    }
    if (result.length !== entry.uncompressedSize) {
      throw invalid(this.file, `entry ${JSON.stringify(entry.name)} inflates to ${result.length} bytes, not the ${entry.uncompressedSize} it declares`);
    }
    return result;
  }
}

function readEndOfDirectory(file: RandomAccessFile): { entryCount: number; directoryOffset: number; directorySize: number } {
  if (file.length < EOCD_SIZE) throw invalid(file, `it is ${file.length} bytes long, too short for a ZIP archive (truncated?)`);
  const tailStart = Math.max(0, file.length - (EOCD_SIZE + 0xffff));
  const tail = file.read(tailStart, file.length);
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (readU32(tail, i) === EOCD_SIGNATURE && i + EOCD_SIZE + readU16(tail, i + 20) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw invalid(file, 'no end-of-central-directory record was found (the file is truncated or not a ZIP archive)');
  let entryCount = readU16(tail, eocd + 10);
  let directorySize = readU32(tail, eocd + 12);
  let directoryOffset = readU32(tail, eocd + 16);
  const locator = eocd - 20;
  if (locator >= 0 && readU32(tail, locator) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64At = readU64(tail, locator + 8, () => invalid(file, 'its ZIP64 locator points past 2^53'));
    checkRange(file.name, file.length, zip64At, zip64At + 56);
    const record = file.read(zip64At, zip64At + 56);
    if (readU32(record, 0) !== ZIP64_EOCD_SIGNATURE) throw invalid(file, `its ZIP64 end-of-directory record at byte ${zip64At} is missing`);
    const huge = () => invalid(file, 'its ZIP64 end-of-directory record holds sizes past 2^53');
    entryCount = readU64(record, 32, huge);
    directorySize = readU64(record, 40, huge);
    directoryOffset = readU64(record, 48, huge);
  } else if (entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    throw invalid(file, 'it needs a ZIP64 end-of-directory record but has none');
  }
  return { entryCount, directoryOffset, directorySize };
}

function readZip64Extra(
  extra: Uint8Array,
  fields: { uncompressedSize: number; compressedSize: number; headerOffset: number },
  bad: () => VedError,
): { uncompressedSize: number; compressedSize: number; headerOffset: number } {
  let at = 0;
  while (at + 4 <= extra.length) {
    const id = readU16(extra, at);
    const size = readU16(extra, at + 2);
    if (at + 4 + size > extra.length) throw bad();
    if (id === 0x0001) {
      let p = at + 4;
      const next = (): number => {
        if (p + 8 > at + 4 + size) throw bad();
        const value = readU64(extra, p, bad);
        p += 8;
        return value;
      };
      const out = { ...fields };
      if (fields.uncompressedSize === 0xffffffff) out.uncompressedSize = next();
      if (fields.compressedSize === 0xffffffff) out.compressedSize = next();
      if (fields.headerOffset === 0xffffffff) out.headerOffset = next();
      return out;
    }
    at += 4 + size;
  }
  throw bad();
}

function decodeName(bytes: Uint8Array, file: RandomAccessFile): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(file, 'an entry name is not valid UTF-8');
  }
}

/** Names that could point outside an extraction folder are refused, as safe unzippers do. */
function checkName(name: string, file: RandomAccessFile): void {
  const problem =
    name === ''
      ? 'is empty'
      : name.includes('\0')
        ? 'contains a NUL character'
        : name.includes('\\')
          ? 'contains a backslash'
          : name.startsWith('/') || /^[A-Za-z]:/.test(name)
            ? 'is an absolute path'
            : name.split('/').some((part) => part === '..')
              ? 'climbs out of the archive with ".."'
              : undefined;
  if (problem !== undefined) throw invalid(file, `entry name ${JSON.stringify(name)} ${problem}`);
}

function invalid(file: RandomAccessFile, detail: string): VedError {
  return new VedError('INVALID_CHECKPOINT', `${file.name} is not a valid ZIP archive: ${detail}.`);
}

function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

function readU64(bytes: Uint8Array, at: number, tooBig: () => VedError): number {
  const low = readU32(bytes, at);
  const high = readU32(bytes, at + 4);
  if (high >= 0x200000) throw tooBig();
  return high * 0x100000000 + low;
}
