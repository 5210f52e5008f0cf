/**
 * Writes a checkpoint directory atomically: files go to a temporary sibling
 * directory first, which then replaces the target, so a failed save never
 * leaves a half-written checkpoint in place of a good one.
 */
import { copyFile, mkdir, rename, rm, stat, writeFile, mkdtemp, access } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { VedError, type SaveOptions, type SavedFile, type VisionEncoderDecoderModel } from '@ved/core';

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
  dir: string;
  /** Which asset files to take from it (default: all of ASSET_FILES present). */
  files?: readonly string[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function writeCheckpoint(dir: string, files: readonly SavedFile[], copies: readonly CopySource[] = []): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  try {
    await mkdir(parent, { recursive: true });
  } catch (cause) {
    throw new VedError('WRITE_FAILED', `Cannot create ${parent} to save the model: ${(cause as Error).message}`, { cause });
  }
  let staging: string;
  try {
    staging = await mkdtemp(join(parent, `.${basename(target)}.saving-`));
  } catch (cause) {
    throw new VedError('WRITE_FAILED', `Cannot write to ${parent} (to save the model into ${target}): ${(cause as Error).message}`, { cause });
  }
  try {
    for (const file of files) await writeFile(join(staging, file.name), file.bytes);
    const written = new Set(files.map((f) => f.name));
    for (const source of copies) {
      for (const name of source.files ?? ASSET_FILES) {
        if (written.has(name)) continue;
        const from = join(source.dir, name);
        if (await exists(from)) {
          await copyFile(from, join(staging, name));
          written.add(name);
        }
      }
    }
    if (await exists(target)) {
      if (!(await stat(target)).isDirectory()) throw new Error(`${target} exists and is not a directory`);
      const old = `${staging}.old`;
      await rename(target, old);
      await rename(staging, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(staging, target);
    }
  } catch (cause) {
    await rm(staging, { recursive: true, force: true });
    if (cause instanceof VedError) throw cause;
    throw new VedError('WRITE_FAILED', `Saving the model to ${target} failed: ${(cause as Error).message}; nothing was changed there.`, { cause });
  }
}

/**
 * `save_pretrained`: config.json, generation_config.json, model.safetensors
 * (sharded above `maxShardSize`), plus processor/tokenizer files copied from
 * `copyFrom` (e.g. the checkpoint the model came from).
 */
export async function savePretrained(
  model: VisionEncoderDecoderModel,
  dir: string,
  options: SaveOptions & { copyFrom?: readonly CopySource[] } = {},
): Promise<void> {
  await writeCheckpoint(dir, model.serialize(options), options.copyFrom ?? []);
}
