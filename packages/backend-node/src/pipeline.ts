/**
 * Image-to-text on Node: @ved/pipeline's `ImageToText` with files from disk
 * or the hub (cached as huggingface_hub does), onnxruntime-node, and Node's
 * image inputs (image-input.ts); `pipeline('image-to-text', model)` as
 * transformers.js users write it, defaulting to the embedded model.
 */
import { VedError, type ModelFiles } from '@ved/core';
import { defaultModelDir } from '@ved/default-model';
import {
  ImageToText as SharedImageToText,
  checkTask,
  imageToTextPipeline,
  loadImageToTextParts,
  type ImageToTextPipeline,
  type ModelLoadOptions,
} from '@ved/pipeline';
import './register-builtins.js';
import { openModelFiles, type HubFilesOptions } from './hub-files.js';
import { nodeImageSource, type ImageInput, type NodeImageOptions } from './image-input.js';
import { nodeRuntime } from './runtime.js';

export type { ImageInput } from './image-input.js';

/** How `ImageToText.fromPretrained` and `pipeline()` load on Node. */
export interface NodePretrainedOptions extends ModelLoadOptions, HubFilesOptions, Pick<NodeImageOptions, 'maxImagePixels' | 'maxImageBytes'> {}

function isModelFiles(value: unknown): value is ModelFiles {
  return typeof value === 'object' && value !== null && typeof (value as ModelFiles).readBytes === 'function' && typeof (value as ModelFiles).exists === 'function';
}

export class ImageToText extends SharedImageToText<ImageInput, typeof nodeRuntime> {
  /**
   * Loads from a checkpoint or ONNX export directory, else a URL or hub
   * repository id (`owner/name`), or any `ModelFiles`.
   */
  static async fromPretrained(source: string | ModelFiles, options: NodePretrainedOptions = {}): Promise<ImageToText> {
    if (typeof source !== 'string' && !isModelFiles(source)) {
      throw new VedError('INVALID_OPTION', `fromPretrained: expected a directory, URL, hub repository id or ModelFiles, got ${typeof source}.`);
    }
    const files = typeof source === 'string' ? await openModelFiles(source, options) : source;
    const parts = await loadImageToTextParts(files, nodeRuntime, options);
    const { maxImageBytes, maxImagePixels, onWarning } = options;
    return new ImageToText(parts, nodeRuntime, nodeImageSource(maxImageBytes !== undefined ? { maxImageBytes } : {}), {
      ...(maxImagePixels !== undefined ? { maxImagePixels } : {}),
      ...(onWarning !== undefined ? { onWarning } : {}),
    });
  }
}

/**
 * `pipeline('image-to-text', model?, options?)`: a function that captions an
 * image (`[{ generated_text }]`) or an array of images (one such array each),
 * as transformers.js's. Without a model, the embedded default model (one
 * line of printed text). `captioner.pipe` is the `ImageToText` behind it.
 */
export async function pipeline(
  task: 'image-to-text',
  model: string | ModelFiles = defaultModelDir,
  options: NodePretrainedOptions = {},
): Promise<ImageToTextPipeline<ImageInput, typeof nodeRuntime>> {
  checkTask(task);
  return imageToTextPipeline(await ImageToText.fromPretrained(model, options));
}
