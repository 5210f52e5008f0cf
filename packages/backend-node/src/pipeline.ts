/**
 * Image-to-text on Node: a checkpoint directory's model, image processor,
 * tokenizer and generation config, behind one object.
 */
import {
  ImageProcessor,
  Tokenizer,
  VedError,
  VisionEncoderDecoderModel,
  isRecord,
  readOptionalJson,
  type LoadOptions,
  type PixelBatch,
  type RawImage,
} from '@ved/core';
import { generate, modelGenerationConfig, type GenerationOptions } from '@ved/generation';
import './register-builtins.js';
import { DirectoryFiles, checkDirectory } from './directory-files.js';
import { readImageFile } from './image-decode.js';
import { nodeRuntime } from './runtime.js';

export type ImageInput = string | RawImage;

export interface CaptionResult {
  /** Whole sequences as Python's `generate` returns them (start token first, pad after eos). */
  sequences: number[][];
  /** `batch_decode(sequences, skip_special_tokens=True)`, when the checkpoint has a tokenizer. */
  texts: string[];
}

export class ImageToText {
  private constructor(
    readonly model: VisionEncoderDecoderModel,
    readonly processor: ImageProcessor | undefined,
    readonly tokenizer: Tokenizer | undefined,
    readonly generationConfig: GenerationOptions,
  ) {}

  static async fromPretrained(dir: string, options: LoadOptions = {}): Promise<ImageToText> {
    await checkDirectory(dir);
    const files = new DirectoryFiles(dir);
    const model = await VisionEncoderDecoderModel.fromPretrained(files, nodeRuntime, options);
    const processorJson = await readOptionalJson(files, 'preprocessor_config.json');
    const processor =
      processorJson === undefined ? undefined : ImageProcessor.fromJson(processorJson, { source: `${files.location}/preprocessor_config.json` });
    const tokenizer = await Tokenizer.fromFiles(files);
    const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
    return new ImageToText(model, processor, tokenizer, generationConfig);
  }

  /** Decodes (when given paths) and preprocesses images into `pixel_values`. */
  async preprocess(images: readonly ImageInput[]): Promise<PixelBatch> {
    if (this.processor === undefined) {
      throw new VedError('FILE_NOT_FOUND', `The checkpoint has no preprocessor_config.json, so images cannot be prepared; pass pixel values instead.`);
    }
    const raw = await Promise.all(images.map((img) => (typeof img === 'string' ? readImageFile(img) : img)));
    return this.processor.preprocess(raw);
  }

  async generate(images: readonly ImageInput[] | PixelBatch, options: GenerationOptions = {}): Promise<CaptionResult> {
    const pixelValues = Array.isArray(images) ? await this.preprocess(images) : (images as PixelBatch);
    const { sequences } = await generate(this.model, { pixelValues, modelGenerationConfig: this.generationConfig }, options);
    const texts = this.tokenizer?.batchDecode(sequences, { skipSpecialTokens: true }) ?? [];
    return { sequences, texts };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
