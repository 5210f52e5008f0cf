/** `ModelFiles` over a checkpoint directory on disk. */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { VedError, type ModelFiles } from '@ved/core';

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

/** Fails early with a clear message when `dir` is not a directory. */
export async function checkDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch {
    // reported below
  }
  throw new VedError('FILE_NOT_FOUND', `Model directory not found: ${resolve(dir)}.`);
}
