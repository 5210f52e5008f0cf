/**
 * Writes an ONNX export directory (Optimum / transformers.js layout): the
 * graphs and configs from core's `writeOnnxExport`, plus the processor and
 * tokenizer files of the checkpoint it came from. Files go to a temporary
 * sibling directory first, which then replaces the target, so a failed export
 * never leaves half a directory behind.
 */
import { writeOnnxExport, type ExportSource, type ModelFiles, type OnnxExportFile, type OnnxExportOptions } from '@ved/core';
import { writeCheckpoint } from '../save.js';

/** Writes export files (and the checkpoint's processor/tokenizer files) into `dir`, atomically. */
export async function writeExportDirectory(dir: string, files: readonly OnnxExportFile[], copyFrom?: ModelFiles): Promise<string[]> {
  return writeCheckpoint(dir, files, copyFrom === undefined ? [] : [{ dir: copyFrom }]);
}

/** Exports a model (anything with `parts`, `weights`, `generationConfigJson`, e.g. a `VisionEncoderDecoderModel`) to `dir`. */
export async function saveOnnxExport(
  source: ExportSource,
  dir: string,
  options: OnnxExportOptions & { copyFrom?: ModelFiles } = {},
): Promise<string[]> {
  return writeExportDirectory(dir, writeOnnxExport(source, options), options.copyFrom);
}
