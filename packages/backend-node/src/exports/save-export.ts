/**
 * Writes an ONNX export directory (Optimum / transformers.js layout): the
 * graphs and configs from core's `writeOnnxExport`, plus the processor and
 * tokenizer files of the checkpoint it came from, written as `writeCheckpoint`
 * writes (only these files; never into the checkpoint it reads from).
 */
import { Tokenizer, writeOnnxExport, type ExportSource, type ModelFiles, type OnnxExportFile, type OnnxExportOptions, type SavedFile } from '@ved/core';
import { writeCheckpoint, type WriteCheckpointOptions } from '../save.js';

/**
 * `tokenizer.json` for a checkpoint that has only slow tokenizer files
 * (transformers.js and Optimum read nothing else): the tokenizer converted as
 * transformers 5.18 converts it. None when the checkpoint has tokenizer.json
 * (copied as is) or no tokenizer.
 */
async function convertedTokenizerFile(from: ModelFiles): Promise<SavedFile[]> {
  if (await from.exists('tokenizer.json')) return [];
  const tokenizer = await Tokenizer.fromFiles(from);
  return tokenizer === undefined ? [] : [{ name: 'tokenizer.json', bytes: new TextEncoder().encode(tokenizer.toJsonString()) }];
}

/** Writes export files (and the checkpoint's processor/tokenizer files, with a tokenizer.json) into `dir`, atomically. */
export async function writeExportDirectory(
  dir: string,
  files: readonly OnnxExportFile[],
  copyFrom?: ModelFiles,
  options: WriteCheckpointOptions = {},
): Promise<string[]> {
  if (copyFrom === undefined) return writeCheckpoint(dir, files, [], options);
  return writeCheckpoint(dir, [...files, ...(await convertedTokenizerFile(copyFrom))], [{ dir: copyFrom }], options);
}

/** Exports a model (anything with `parts`, `weights`, `generationConfigJson`, e.g. a `VisionEncoderDecoderModel`) to `dir`. */
export async function saveOnnxExport(
  source: ExportSource,
  dir: string,
  options: OnnxExportOptions & { copyFrom?: ModelFiles } = {},
): Promise<string[]> {
  return writeExportDirectory(dir, writeOnnxExport(source, options), options.copyFrom);
}
