/**
 * Image-to-text on Node: a checkpoint directory's model, image processor,
 * tokenizer and generation config, behind one object.
 */
import {
  ImageProcessor,
  Tokenizer,
  VedError,
  isRecord,
  readOptionalJson,
  type PixelBatch,
  type RawImage,
} from '@ved/core';
import {
  generate,
  generateStream,
  modelGenerationConfig,
  type GenerateInputs,
  type GenerateOutput,
  type GenerationOptions,
  type GenerationStream,
} from '@ved/generation';
import './register-builtins.js';
import { openModelFiles, type HubFilesOptions } from './hub-files.js';
import { readImageFile, type DecodeImageOptions } from './image-decode.js';
import { nodeRuntime } from './runtime.js';
import { loadModel, type LoadedModel, type ModelLoadOptions } from './exports/load.js';

export type ImageInput = string | RawImage;

export interface CaptionResult extends GenerateOutput {
  /** Whole sequences as Python's `generate` returns them (start token first, pad after eos), `numReturnSequences` per image. */
  sequences: number[][];
  /** `batch_decode(sequences, skip_special_tokens=True)`, when the checkpoint has a tokenizer. */
  texts: string[];
}

/** What `generate()` takes besides images and options (the checkpoint supplies the model config and tokenizer). */
export type GenerateRunOptions = Omit<GenerateInputs, 'pixelValues' | 'modelGenerationConfig' | 'tokenizer'>;

export class ImageToText {
  /** How image files are decoded: the decompression-bomb limit (`maxImagePixels`) and where its warning goes. */
  imageOptions: DecodeImageOptions = {};

  private constructor(
    readonly model: LoadedModel,
    readonly processor: ImageProcessor | undefined,
    readonly tokenizer: Tokenizer | undefined,
    readonly generationConfig: GenerationOptions,
  ) {}

  /** Loads from a checkpoint directory, else a URL or hub repository id (`owner/name`, cached as huggingface_hub does). */
  static async fromPretrained(dir: string, options: ModelLoadOptions & HubFilesOptions & Pick<DecodeImageOptions, 'maxImagePixels'> = {}): Promise<ImageToText> {
    const files = await openModelFiles(dir, options);
    const model = await loadModel(files, nodeRuntime, options);
    const processorJson = await readOptionalJson(files, 'preprocessor_config.json');
    const processor =
      processorJson === undefined ? undefined : ImageProcessor.fromJson(processorJson, { source: `${files.location}/preprocessor_config.json` });
    const tokenizer = await Tokenizer.fromFiles(files);
    const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
    const pipe = new ImageToText(model, processor, tokenizer, generationConfig);
    pipe.imageOptions = {
      ...(options.maxImagePixels !== undefined ? { maxImagePixels: options.maxImagePixels } : {}),
      ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
    };
    return pipe;
  }

  /** Decodes (when given paths) and preprocesses images into `pixel_values`. */
  async preprocess(images: readonly ImageInput[]): Promise<PixelBatch> {
    if (this.processor === undefined) {
      throw new VedError('FILE_NOT_FOUND', `The checkpoint has no preprocessor_config.json, so images cannot be prepared; pass pixel values instead.`);
    }
    // One image decoded at a time: a batch of large files never sits in memory at once.
    return this.processor.preprocessEach(
      images,
      (img) => (typeof img === 'string' ? readImageFile(img, this.imageOptions) : img),
      (img, i) => (typeof img === 'string' ? img : `images[${i}]`),
    );
  }

  /**
   * Captions (or reads) images with any of Python's generation options
   * (`numBeams`, `doSample`, `topP`, ...); `run` adds a decoder prompt, a
   * streamer, custom processors / criteria or an AbortSignal. Stop strings
   * use the checkpoint's tokenizer.
   */
  async generate(images: readonly ImageInput[] | PixelBatch, options: GenerationOptions = {}, run: GenerateRunOptions = {}): Promise<CaptionResult> {
    const pixelValues = Array.isArray(images) ? await this.preprocess(images) : (images as PixelBatch);
    const out = await generate(this.model, { ...run, pixelValues, modelGenerationConfig: this.generationConfig, ...this.tokenizerInput() }, options);
    const texts = this.tokenizer?.batchDecode(out.sequences, { skipSpecialTokens: true }) ?? [];
    return { ...out, texts };
  }

  /** `generate()` as an async iterator of steps: new tokens per row and, with a tokenizer, their text (special tokens skipped). */
  async stream(images: readonly ImageInput[] | PixelBatch, options: GenerationOptions = {}, run: Omit<GenerateRunOptions, 'streamer'> = {}): Promise<GenerationStream> {
    const pixelValues = Array.isArray(images) ? await this.preprocess(images) : (images as PixelBatch);
    return generateStream(
      this.model,
      { ...run, pixelValues, modelGenerationConfig: this.generationConfig, ...this.tokenizerInput(), decodeOptions: { skipSpecialTokens: true } },
      options,
    );
  }

  private tokenizerInput(): { tokenizer?: Tokenizer } {
    return this.tokenizer ? { tokenizer: this.tokenizer } : {};
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
