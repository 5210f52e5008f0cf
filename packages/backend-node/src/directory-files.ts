/** `ModelFiles` over a checkpoint directory on disk. */
import { closeSync, openSync, readSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { VedError, openSafetensors, safetensorsHeaderSize, type ModelFiles, type RandomAccessFile, type SafetensorsFile } from '@ved/core';

export class DirectoryFiles implements ModelFiles {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async exists(name: string): Promise<boolean> {
    try {
      return (await stat(join(this.location, name))).isFile();
    } catch {
      return false;
    }
  }

  async openSafetensors(name: string): Promise<SafetensorsFile> {
    return openSafetensorsFile(join(this.location, name));
  }

  async openFile(name: string): Promise<RandomAccessFile> {
    return openLocalFile(join(this.location, name));
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const path = join(this.location, name);
    try {
      const buf = await readFile(path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new VedError('FILE_NOT_FOUND', `File not found: ${path} (the checkpoint in ${this.location} needs ${name}).`, { cause });
      }
      throw new VedError('FILE_NOT_FOUND', `Cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
  }
}

/**
 * Opens a safetensors file on disk reading only its header; tensors are read
 * on demand (synchronously, by range), and F32 tensors report their location
 * so onnxruntime loads them from the file itself.
 */
export async function openSafetensorsFile(path: string): Promise<SafetensorsFile> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(Math.min(8, size));
    await handle.read(prefix, 0, prefix.length, 0);
    const headerSize = Math.min(safetensorsHeaderSize(prefix, path), size);
    const header = new Uint8Array(headerSize);
    await handle.read(header, 0, headerSize, 0);
    return openSafetensors(header, size, path, (start, end) => readRange(path, start, end), path);
  } finally {
    await handle.close();
  }
}

/** A file on disk for synchronous ranged reads (torch `.bin` archives). */
export async function openLocalFile(path: string): Promise<RandomAccessFile> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  return {
    name: path,
    length: size,
    localPath: resolve(path),
    read(start: number, end: number): Uint8Array {
      if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
        throw new VedError('INVALID_CHECKPOINT', `${path}: bytes [${start}, ${end}) were asked for, but the file is ${size} bytes long (it is truncated or corrupt).`);
      }
      return readRange(path, start, end);
    },
  };
}

function readRange(path: string, start: number, end: number): Uint8Array {
  // Aligned to 8 bytes so float views need no copy.
  const buffer = new Uint8Array(new ArrayBuffer(end - start));
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < buffer.length) {
      const n = readSync(fd, buffer, done, buffer.length - done, start + done);
      if (n === 0) throw new VedError('INVALID_SAFETENSORS', `${path} ended before byte ${end}: the file is truncated.`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return buffer;
}

/** Fails early with a clear message when `dir` is not a directory. */
export async function checkDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch {
    // reported below
  }
  throw new VedError('FILE_NOT_FOUND', `Model directory not found: ${resolve(dir)}.`);
}
