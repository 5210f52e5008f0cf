/**
 * @ved/backend-web without the built-in architectures: register the ones the
 * app uses (`import '@ved/encoder-vit'`, or `registerLazy(...)`), and the
 * bundle holds only those. An encoder brings its image-processor classes;
 * a class a checkpoint pairs with another encoder (TrOCR's DeiT checkpoints
 * name `ViTImageProcessor`) is registered from its package's
 * `image-processors` module (see docs/architectures.md).
 */
export * from '@ved/core';
export * from '@ved/generation';
export { createWebRuntime, type WebDevice, type WebRuntime, type WebRuntimeOptions, type WebRuntimeReport } from './runtime.js';
export { openWebModelFiles, type WebFilesOptions } from './model-files.js';
export { decodeImageBytes, loadImage, type LoadImageOptions, type WebImageInput } from './image-input.js';
export { readImageHeader, type ImageFormat, type ImageHeader } from './image-format.js';
export * from '@ved/pipeline';
export { ImageToText, pipeline, type WebPretrainedOptions } from './pipeline.js';
export { CaptionWorker, type WorkerCaptionOptions } from './worker-client.js';
export type { TransferableImage, WorkerLoadOptions } from './worker-protocol.js';
export { TrainingWorker, type PageTrainingExample, type WorkerTrainOptions } from './training-worker-client.js';
export type { TrainSummary, WorkerTrainingExample } from './training-worker-protocol.js';
