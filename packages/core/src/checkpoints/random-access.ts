/**
 * A file read by byte ranges, synchronously: what the checkpoint readers need
 * to parse an archive's directory and later serve one tensor at a time, like
 * the safetensors path does. On Node it reads a file on disk (and knows its
 * path, so float32 tensors can go to onnxruntime as external data); anywhere
 * else it is a view of bytes already in memory (a fetched file).
 */
import { VedError } from '../errors.js';

export interface RandomAccessFile {
  /** Shown in messages: a path or URL. */
  readonly name: string;
  readonly length: number;
  /**
   * Bytes [start, end) as a new or shared buffer: do not mutate. Throws
   * `INVALID_CHECKPOINT` when the range lies outside the file.
   */
  read(start: number, end: number): Uint8Array;
  /** Absolute path on local disk, when the bytes are a file there. */
  readonly localPath?: string;
}

/** A `RandomAccessFile` over bytes in memory. */
export function bytesFile(bytes: Uint8Array, name: string): RandomAccessFile {
  return {
    name,
    length: bytes.length,
    read(start: number, end: number): Uint8Array {
      checkRange(name, bytes.length, start, end);
      return bytes.subarray(start, end);
    },
  };
}

/** Throws `INVALID_CHECKPOINT` unless 0 <= start <= end <= length. */
export function checkRange(name: string, length: number, start: number, end: number): void {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= length)) {
    throw new VedError(
      'INVALID_CHECKPOINT',
      `${name}: bytes [${start}, ${end}) were asked for, but the file is ${length} bytes long (it is truncated or corrupt).`,
    );
  }
}
