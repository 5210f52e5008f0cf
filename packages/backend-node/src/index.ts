/**
 * @ved/backend-node: runs ved models on Node with onnxruntime-node; loads
 * checkpoints from disk and decodes PNG/JPEG files.
 */
import './register-builtins.js';

export * from '@ved/core';
export * from '@ved/generation';
export { nodeRuntime } from './runtime.js';
export { DirectoryFiles } from './directory-files.js';
export { decodeImage, readImageFile } from './image-decode.js';
export { ImageToText, type CaptionResult, type ImageInput } from './pipeline.js';
export { savePretrained, writeCheckpoint, ASSET_FILES, type CopySource } from './save.js';
