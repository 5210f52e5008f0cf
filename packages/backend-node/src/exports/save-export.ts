/**
 * Writes an ONNX export directory (Optimum / transformers.js layout): the
 * graphs and configs from core's `writeOnnxExport`, plus the processor and
 * tokenizer files of the checkpoint it came from. Files go to a temporary
 * sibling directory first, which then replaces the target, so a failed export
 * never leaves half a directory behind.
 */
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { VedError, writeOnnxExport, type ExportSource, type ModelFiles, type OnnxExportFile, type OnnxExportOptions } from '@ved/core';
import { ASSET_FILES } from '../save.js';

export async function writeExportDirectory(dir: string, files: readonly OnnxExportFile[], copyFrom?: ModelFiles): Promise<string[]> {
  const target = resolve(dir);
  const parent = dirname(target);
  let staging: string;
  try {
    await mkdir(parent, { recursive: true });
    staging = await mkdtemp(join(parent, `.${basename(target)}.exporting-`));
  } catch (cause) {
    throw new VedError('WRITE_FAILED', `Cannot write the export into ${parent}: ${(cause as Error).message}`, { cause });
  }
  const written: string[] = [];
  try {
    const put = async (name: string, bytes: Uint8Array) => {
      await mkdir(dirname(join(staging, name)), { recursive: true });
      await writeFile(join(staging, name), bytes);
      written.push(name);
    };
    for (const f of files) await put(f.name, f.bytes);
    if (copyFrom !== undefined) {
      for (const name of ASSET_FILES) {
        if (!written.includes(name) && (await copyFrom.exists(name))) await put(name, await copyFrom.readBytes(name));
      }
    }
    let replaced: string | undefined;
    try {
      if (!(await stat(target)).isDirectory()) throw new Error(`${target} exists and is not a directory`);
      replaced = `${staging}.old`;
      await rename(target, replaced);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // mkdtemp makes the directory private; an export is as readable as any other directory the user makes.
    await chmod(staging, 0o777 & ~process.umask());
    await rename(staging, target);
    if (replaced !== undefined) await rm(replaced, { recursive: true, force: true });
  } catch (cause) {
    await rm(staging, { recursive: true, force: true });
    if (cause instanceof VedError) throw cause;
    throw new VedError('WRITE_FAILED', `Writing the export to ${target} failed: ${(cause as Error).message}; nothing was changed there.`, { cause });
  }
  return written;
}

/** Exports a model (anything with `parts`, `weights`, `generationConfigJson`, e.g. a `VisionEncoderDecoderModel`) to `dir`. */
export async function saveOnnxExport(
  source: ExportSource,
  dir: string,
  options: OnnxExportOptions & { copyFrom?: ModelFiles } = {},
): Promise<string[]> {
  return writeExportDirectory(dir, writeOnnxExport(source, options), options.copyFrom);
}
