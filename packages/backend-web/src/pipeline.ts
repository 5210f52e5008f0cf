/**
 * Image-to-text in the browser: @ved/pipeline's `ImageToText` with files over
 * fetch (Cache API), onnxruntime-web (WASM, WebGPU), and the browser's image
 * inputs (image-input.ts). Loads checkpoints (safetensors) and ONNX exports
 * in the transformers.js / Optimum layout, as on Node. `pipeline('image-to-text',
 * model)` as transformers.js users write it.
 */
import { VedError, type ModelFiles } from '@ved/core';
import {
  ImageToText as SharedImageToText,
  checkTask,
  imageToTextPipeline,
  loadImageToTextParts,
  type ImageSource,
  type ImageToTextPipeline,
  type ModelLoadOptions,
} from '@ved/pipeline';
import { loadImage, type LoadImageOptions, type WebImageInput } from './image-input.js';
import { isModelFiles, openWebModelFiles, type WebFilesOptions } from './model-files.js';
import { createWebRuntime, type WebRuntime, type WebRuntimeOptions } from './runtime.js';

export type { CaptionOptions, CaptionResult } from '@ved/pipeline';

export interface WebPretrainedOptions extends ModelLoadOptions, WebFilesOptions, WebRuntimeOptions, Pick<LoadImageOptions, 'maxImagePixels'> {
  /** A runtime to share between models (default: one made from the runtime options). */
  runtime?: WebRuntime;
}

function imageName(img: WebImageInput, i: number): string {
  if (typeof img === 'string') return img;
  if (img instanceof URL) return img.href;
  return `images[${i}]`;
}

/** The browser `ImageSource` of the shared pipeline. */
const webImageSource: ImageSource<WebImageInput> = { load: (input, options) => loadImage(input, options), name: imageName };

export class ImageToText extends SharedImageToText<WebImageInput, WebRuntime> {
  /** Loads from a URL (absolute, or relative to the page), a hub repository id, or any `ModelFiles`. */
  static async fromPretrained(source: string | ModelFiles, options: WebPretrainedOptions = {}): Promise<ImageToText> {
    if (typeof source !== 'string' && !isModelFiles(source)) {
      throw new VedError('INVALID_OPTION', `fromPretrained: expected a URL, hub repository id or ModelFiles, got ${typeof source}.`);
    }
    const files = typeof source === 'string' ? await openWebModelFiles(source, options) : source;
    const runtime = options.runtime ?? (await createWebRuntime(options));
    const parts = await loadImageToTextParts(files, runtime, options);
    const { maxImagePixels, onWarning } = options;
    return new ImageToText(parts, runtime, webImageSource, {
      ...(maxImagePixels !== undefined ? { maxImagePixels } : {}),
      ...(onWarning !== undefined ? { onWarning } : {}),
    });
  }
}

/**
 * `pipeline('image-to-text', model, options?)`: a function that captions an
 * image (`[{ generated_text }]`) or an array of images (one such array each),
 * as transformers.js's. `captioner.pipe` is the `ImageToText` behind it.
 */
export async function pipeline(task: 'image-to-text', model: string | ModelFiles, options: WebPretrainedOptions = {}): Promise<ImageToTextPipeline<WebImageInput, WebRuntime>> {
  checkTask(task);
  if (model === undefined) throw new VedError('INVALID_OPTION', 'pipeline(): give the model (a URL or hub repository id); the browser has no embedded default model.');
  return imageToTextPipeline(await ImageToText.fromPretrained(model, options));
}
