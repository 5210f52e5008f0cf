/**
 * Writes an ONNX export directory (Optimum / transformers.js layout): the
 * graphs and configs from core's `writeOnnxExport`, plus the processor and
 * tokenizer files of the checkpoint it came from, written as `writeCheckpoint`
 * writes (only these files; never into the checkpoint it reads from).
 */
import { writeOnnxExport, type ExportSource, type ModelFiles, type OnnxExportFile, type OnnxExportOptions } from '@ved/core';
import { writeCheckpoint, type WriteCheckpointOptions } from '../save.js';

/** Writes export files (and the checkpoint's processor/tokenizer files) into `dir`, atomically. */
export async function writeExportDirectory(
  dir: string,
  files: readonly OnnxExportFile[],
  copyFrom?: ModelFiles,
  options: WriteCheckpointOptions = {},
): Promise<string[]> {
  return writeCheckpoint(dir, files, copyFrom === undefined ? [] : [{ dir: copyFrom }], options);
}

/** Exports a model (anything with `parts`, `weights`, `generationConfigJson`, e.g. a `VisionEncoderDecoderModel`) to `dir`. */
export async function saveOnnxExport(
  source: ExportSource,
  dir: string,
  options: OnnxExportOptions & { copyFrom?: ModelFiles } = {},
): Promise<string[]> {
  return writeExportDirectory(dir, writeOnnxExport(source, options), options.copyFrom);
}
