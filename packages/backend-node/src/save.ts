/**
 * Writes a checkpoint directory atomically: files go to a temporary sibling
 * directory first, which then replaces the target, so a failed save never
 * leaves a half-written checkpoint in place of a good one.
 */
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { VedError, writeOnnxExport, type ModelFiles, type OnnxExportOptions, type SaveOptions, type SavedFile, type VisionEncoderDecoderModel } from '@ved/core';
import { DirectoryFiles } from './directory-files.js';

/** Processor and tokenizer files a checkpoint may carry, copied verbatim. */
export const ASSET_FILES = [
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  'sentencepiece.bpe.model',
  'processor_config.json',
];

export interface CopySource {
  /** A checkpoint directory, or any `ModelFiles` (e.g. a hub download). */
  dir: string | ModelFiles;
  /** Which asset files to take from it (default: all of ASSET_FILES present). */
  files?: readonly string[];
}

/**
 * Writes `files` (names may contain sub-directories, e.g. `onnx/…`) plus the
 * asset files of `copies` into `dir`, atomically. Returns the names written.
 */
export async function writeCheckpoint(dir: string, files: readonly SavedFile[], copies: readonly CopySource[] = []): Promise<string[]> {
  const target = resolve(dir);
  const parent = dirname(target);
  let staging: string;
  try {
    await mkdir(parent, { recursive: true });
    staging = await mkdtemp(join(parent, `.${basename(target)}.saving-`));
  } catch (cause) {
    throw new VedError('WRITE_FAILED', `Cannot write to ${parent} (to save the model into ${target}): ${(cause as Error).message}`, { cause });
  }
  const written: string[] = [];
  try {
    const put = async (name: string, bytes: Uint8Array) => {
      await mkdir(dirname(join(staging, name)), { recursive: true });
      await writeFile(join(staging, name), bytes);
      written.push(name);
    };
    for (const file of files) await put(file.name, file.bytes);
    for (const source of copies) {
      const from = typeof source.dir === 'string' ? new DirectoryFiles(source.dir) : source.dir;
      for (const name of source.files ?? ASSET_FILES) {
        if (!written.includes(name) && (await from.exists(name))) await put(name, await from.readBytes(name));
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
    // mkdtemp makes the directory private; a checkpoint is as readable as any directory the user makes.
    await chmod(staging, 0o777 & ~process.umask());
    await rename(staging, target);
    if (replaced !== undefined) await rm(replaced, { recursive: true, force: true });
  } catch (cause) {
    await rm(staging, { recursive: true, force: true });
    if (cause instanceof VedError) throw cause;
    throw new VedError('WRITE_FAILED', `Saving to ${target} failed: ${(cause as Error).message}; nothing was changed there.`, { cause });
  }
  return written;
}

export interface SavePretrainedOptions extends SaveOptions, OnnxExportOptions {
  /** `safetensors` (default): what Python's `save_pretrained` writes; `onnx`: the Optimum / transformers.js layout. */
  format?: 'safetensors' | 'onnx';
  /** Checkpoints to copy processor and tokenizer files from (e.g. the one the model came from). */
  copyFrom?: readonly CopySource[];
}

/**
 * `save_pretrained`: config.json, generation_config.json, model.safetensors
 * (sharded above `maxShardSize`) — or, with `format: 'onnx'`, the ONNX export
 * layout — plus processor/tokenizer files copied from `copyFrom`.
 */
export async function savePretrained(model: VisionEncoderDecoderModel, dir: string, options: SavePretrainedOptions = {}): Promise<string[]> {
  const format = options.format ?? 'safetensors';
  if (format !== 'safetensors' && format !== 'onnx') {
    throw new VedError('INVALID_OPTION', `format is ${JSON.stringify(format)}; expected "safetensors" or "onnx".`);
  }
  const files = format === 'onnx' ? writeOnnxExport(model, options) : model.serialize(options);
  return writeCheckpoint(dir, files, options.copyFrom ?? []);
}
