/**
 * @ved/pipeline: the image-to-text pipeline every backend shares —
 * `ImageToText` (load, preprocess, generate, stream), the callable of
 * `pipeline('image-to-text')`, call options, streaming under beams, and
 * loading either model format. Backends (`@ved/backend-node`,
 * `@ved/backend-web`) supply files, runtime and image decoding and re-export
 * it; apps import it from their backend.
 */
export {
  ImageToText,
  loadImageToTextParts,
  replayChunks,
  type CaptionResult,
  type CaptionStream,
  type ImageLoadOptions,
  type ImageSource,
  type ImageToTextParts,
} from './image-to-text.js';
export { splitCaptionOptions, fromPipelineKwargs, type CaptionOptions, type RunOptions } from './options.js';
export { planStreaming, type BeamStreaming, type StreamingPlan } from './beam-streaming.js';
export { tokenStreamer, replaySequences, type TokenCallback, type TokenEvent } from './token-events.js';
export { loadModel, type FormatOptions, type LoadedModel, type ModelLoadOptions } from './load-model.js';
export {
  imageToTextPipeline,
  checkTask,
  PIPELINE_TASKS,
  type ImageToTextOutput,
  type ImageToTextPipeline,
  type ImageToTextSingle,
  type PipelineCallOptions,
  type PipelineTask,
} from './pipeline-function.js';
