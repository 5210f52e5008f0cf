/**
 * Where a checkpoint's files come from: a directory on Node, a URL in the
 * browser. Backends implement `ModelFiles`; core only reads through it.
 */
import { VedError } from '../errors.js';
import type { SafetensorsFile } from '../safetensors/index.js';
import type { RandomAccessFile } from '../checkpoints/random-access.js';

export interface ModelFiles {
  /** Shown in messages: a directory path or a base URL. */
  readonly location: string;
  exists(name: string): Promise<boolean>;
  /** Reads a file; a missing file is a `FILE_NOT_FOUND` VedError naming it. */
  readBytes(name: string): Promise<Uint8Array>;
  /**
   * Opens a safetensors file without reading its data (only the header), when
   * the files are on local disk: tensors are then read on demand, and the
   * runtime can load F32 weights straight from the file.
   */
  openSafetensors?(name: string): Promise<SafetensorsFile>;
  /**
   * Opens a file for synchronous ranged reads, when it is on local disk (a
   * `pytorch_model.bin` is then read entry by entry, and its float32 storages
   * reach the runtime as external data). Without it the file is read whole.
   */
  openFile?(name: string): Promise<RandomAccessFile>;
}

export async function readText(files: ModelFiles, name: string): Promise<string> {
  return new TextDecoder().decode(await files.readBytes(name));
}

/** Reads and parses a JSON file, naming the file when it is not valid JSON. */
export async function readJson(files: ModelFiles, name: string): Promise<unknown> {
  const text = await readText(files, name);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new VedError('INVALID_JSON', `${files.location}/${name} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Reads an optional JSON file (undefined when it does not exist). */
export async function readOptionalJson(files: ModelFiles, name: string): Promise<unknown> {
  return (await files.exists(name)) ? readJson(files, name) : undefined;
}
