/**
 * @ved/backend-node: runs ved models on Node with onnxruntime-node; loads
 * checkpoints from disk and decodes PNG/JPEG/WebP/TIFF files.
 */
import './register-builtins.js';

export * from '@ved/core';
export * from '@ved/generation';
export * from '@ved/training';
export { nodeRuntime } from './runtime.js';
export { DirectoryFiles } from './directory-files.js';
export { decodeImage, readImageFile, type DecodeImageOptions } from './image-decode.js';
export {
  checkManifest,
  evaluate,
  levenshtein,
  parseManifest,
  readManifest,
  scoreTexts,
  streamManifest,
  type EvaluateOptions,
  type EvaluationResult,
  type ManifestEntry,
  type TextScore,
} from './eval.js';
export { readTrainingManifest, parseTrainingManifest } from './training-data.js';
export { createParallelUpdates } from './parallel-updates.js';
export { findTcmalloc, processAllocator, TCMALLOC_PATHS, type AllocatorName } from './allocator.js';
export * from '@ved/pipeline';
export { ImageToText, pipeline, type ImageInput, type NodePretrainedOptions } from './pipeline.js';
export { loadNodeImage, DEFAULT_MAX_IMAGE_BYTES, type NodeImageOptions } from './image-input.js';
export { savePretrained, writeCheckpoint, ASSET_FILES, type CopySource, type SavePretrainedOptions } from './save.js';
export { saveOnnxExport, writeExportDirectory } from './exports/save-export.js';
export { openModelFiles, hubFiles, HubCache, hubCacheDir, hfHome, isOfflineMode, type HubFilesOptions } from './hub-files.js';
