/**
 * Image-to-text in the browser: the model, image processor, tokenizer and
 * generation config of a checkpoint at a URL or in a hub repository, behind
 * one object. The same shape as backend-node's `ImageToText`; images may be
 * any `WebImageInput`.
 */
import {
  ImageProcessor,
  Tokenizer,
  VedError,
  VisionEncoderDecoderModel,
  readOptionalJson,
  type LoadOptions,
  type ModelFiles,
  type PixelBatch,
} from '@ved/core';
import { generate, modelGenerationConfig, type GenerationOptions } from '@ved/generation';
import { loadImage, type LoadImageOptions, type WebImageInput } from './image-input.js';
import { isModelFiles, openWebModelFiles, type WebFilesOptions } from './model-files.js';
import { createWebRuntime, type WebRuntime, type WebRuntimeOptions } from './runtime.js';
import { tokenStreamer, type TokenCallback } from './token-stream.js';

export interface CaptionResult {
  /** Whole sequences as Python's `generate` returns them (start token first, pad after eos). */
  sequences: number[][];
  /** `batch_decode(sequences, skip_special_tokens=True)`, when the checkpoint has a tokenizer. */
  texts: string[];
}

export interface WebPretrainedOptions extends LoadOptions, WebFilesOptions, WebRuntimeOptions {
  /** A runtime to share between models (default: one made from the runtime options). */
  runtime?: WebRuntime;
}

export interface CaptionOptions extends GenerationOptions {
  /** Called with each step's new tokens and the texts so far (greedy and sampling; beam search refuses it, as in Python). */
  onToken?: TokenCallback;
  signal?: AbortSignal;
}

export class ImageToText {
  private constructor(
    readonly model: VisionEncoderDecoderModel,
    readonly processor: ImageProcessor | undefined,
    readonly tokenizer: Tokenizer | undefined,
    readonly generationConfig: GenerationOptions,
    readonly runtime: WebRuntime,
    readonly files: ModelFiles,
  ) {}

  /** Loads from a URL (absolute, or relative to the page), a hub repository id, or any `ModelFiles`. */
  static async fromPretrained(source: string | ModelFiles, options: WebPretrainedOptions = {}): Promise<ImageToText> {
    const files = isModelFiles(source) ? source : await openWebModelFiles(source, options);
    const runtime = options.runtime ?? (await createWebRuntime(options));
    const model = await VisionEncoderDecoderModel.fromPretrained(files, runtime, options);
    const processorJson = await readOptionalJson(files, 'preprocessor_config.json');
    const processor =
      processorJson === undefined ? undefined : ImageProcessor.fromJson(processorJson, { source: `${files.location}/preprocessor_config.json` });
    const tokenizer = await Tokenizer.fromFiles(files);
    const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
    return new ImageToText(model, processor, tokenizer, generationConfig, runtime, files);
  }

  /** Decodes and preprocesses images into `pixel_values`, exactly as on Node and in Python. */
  async preprocess(images: readonly WebImageInput[], options: LoadImageOptions = {}): Promise<PixelBatch> {
    if (this.processor === undefined) {
      throw new VedError('FILE_NOT_FOUND', `The checkpoint at ${this.files.location} has no preprocessor_config.json, so images cannot be prepared; pass pixel values instead.`);
    }
    // One image decoded at a time: a batch of large files never sits in memory at once.
    return this.processor.preprocessEach(
      images,
      (img) => loadImage(img, options),
      (img, i) => (typeof img === 'string' ? img : img instanceof URL ? img.href : `images[${i}]`),
    );
  }

  async generate(images: readonly WebImageInput[] | PixelBatch, options: CaptionOptions = {}): Promise<CaptionResult> {
    const { onToken, signal, ...generation } = options;
    const pixelValues = Array.isArray(images) ? await this.preprocess(images, signal ? { signal } : {}) : (images as PixelBatch);
    const streamer =
      onToken === undefined
        ? undefined
        : tokenStreamer(onToken, this.tokenizer === undefined ? undefined : (ids) => this.tokenizer!.decode(ids, { skipSpecialTokens: true }));
    const { sequences } = await generate(
      this.model,
      { pixelValues, modelGenerationConfig: this.generationConfig, ...(signal ? { signal } : {}), ...(streamer ? { streamer } : {}) },
      generation,
    );
    const texts = this.tokenizer?.batchDecode(sequences, { skipSpecialTokens: true }) ?? [];
    return { sequences, texts };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
