/**
 * `pipeline('image-to-text', model, options)` as transformers.js users write
 * it: a function `captioner(image or images, generateOptions)` that resolves
 * to `[{ generated_text }]` for one image (one entry per returned sequence)
 * and to one such array per image for an array of images, exactly the shape
 * of transformers.js's `ImageToTextPipeline._call` (texts decoded with
 * `skip_special_tokens` and trimmed, as it does). The options take ved's
 * camelCase names or Python's snake_case ones (`max_new_tokens`). The
 * `ImageToText` behind it is `captioner.pipe`, for ved's richer results.
 */
import { VedError, didYouMean, listChoices, type PixelBatch, type Runtime } from '@ved/core';
import type { CaptionStream, ImageToText } from './image-to-text.js';
import { fromPipelineKwargs, type CaptionOptions } from './options.js';

export const PIPELINE_TASKS = ['image-to-text'] as const;
export type PipelineTask = (typeof PIPELINE_TASKS)[number];

/** One returned sequence of one image. */
export interface ImageToTextSingle {
  generated_text: string;
}

/** What an image gives: one entry per returned sequence. */
export type ImageToTextOutput = ImageToTextSingle[];

/** Call options: ved's `CaptionOptions`, or Python's snake_case generation keys. */
export type PipelineCallOptions = CaptionOptions | Record<string, unknown>;

export interface ImageToTextPipeline<I, R extends Runtime = Runtime> {
  /** Several images: their sequences, image by image. */
  (images: readonly I[], options?: PipelineCallOptions): Promise<ImageToTextOutput[]>;
  /** One image: its sequences. */
  (image: I, options?: PipelineCallOptions): Promise<ImageToTextOutput>;
  readonly task: 'image-to-text';
  /** The `ImageToText` doing the work: `generate()` with ids and scores, `stream()`, `preprocess()`. */
  readonly pipe: ImageToText<I, R>;
  readonly model: ImageToText<I, R>['model'];
  readonly tokenizer: ImageToText<I, R>['tokenizer'];
  readonly processor: ImageToText<I, R>['processor'];
  /** `pipe.stream()` with the same options as a call. */
  stream(images: I | readonly I[] | PixelBatch, options?: PipelineCallOptions): CaptionStream;
  /** Releases the model; safe to call more than once. */
  dispose(): Promise<void>;
}

/** Refuses tasks other than image-to-text, naming the ones there are. */
export function checkTask(task: string): asserts task is PipelineTask {
  if (!(PIPELINE_TASKS as readonly string[]).includes(task)) {
    throw new VedError('INVALID_OPTION', `pipeline(): unknown task ${JSON.stringify(task)}${didYouMean(task, PIPELINE_TASKS, (t) => `"${t}"`)}; ved supports ${listChoices(PIPELINE_TASKS)}.`);
  }
}

/** Wraps an `ImageToText` as the callable `pipeline()` returns. */
export function imageToTextPipeline<I, R extends Runtime>(pipe: ImageToText<I, R>): ImageToTextPipeline<I, R> {
  async function captioner(images: I | readonly I[], options: PipelineCallOptions = {}): Promise<ImageToTextOutput | ImageToTextOutput[]> {
    const batched = Array.isArray(images);
    const list = (batched ? images : [images]) as readonly I[];
    const { texts, sequences } = await pipe.generate(list, fromPipelineKwargs(options as Record<string, unknown>));
    if (pipe.tokenizer === undefined) {
      throw new VedError('FILE_NOT_FOUND', `The checkpoint at ${pipe.files.location} has no tokenizer, so pipeline() cannot return text; use pipe.generate() for token ids.`);
    }
    const perImage = sequences.length / list.length;
    const outputs = list.map((_, i) => texts.slice(i * perImage, (i + 1) * perImage).map((t) => ({ generated_text: t.trim() })));
    return batched ? outputs : outputs[0]!;
  }
  return Object.assign(captioner as ImageToTextPipeline<I, R>, {
    task: 'image-to-text' as const,
    pipe,
    model: pipe.model,
    tokenizer: pipe.tokenizer,
    processor: pipe.processor,
    stream: (images: I | readonly I[] | PixelBatch, options: PipelineCallOptions = {}) => pipe.stream(images, fromPipelineKwargs(options as Record<string, unknown>)),
    dispose: () => pipe.dispose(),
  });
}
