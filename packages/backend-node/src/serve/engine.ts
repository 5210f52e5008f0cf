/**
 * What `ved serve` and `ved worker` run: one checkpoint (model, image
 * processor, tokenizer, generation config) and either a continuous batcher
 * shared by every request, or, with batching off, one request after another
 * through the plain `generate()`. Answers are `ved caption --json`'s
 * sequences: `{ids, text, score?}` per returned sequence.
 */
import { VedError, type PixelBatch, type RawImage } from '@ved/core';
import {
  ContinuousBatcher,
  generate,
  generateStream,
  type BatcherOptions,
  type GenerateOutput,
  type GenerationOptions,
  type GenerationStream,
  type StreamChunk,
} from '@ved/generation';
import { ImageToText } from '../pipeline.js';
import type { ModelLoadOptions } from '../exports/load.js';
import { ServeError } from './errors.js';
import { applyTokenCap, usesBeams } from './options.js';

export interface SequenceJson {
  ids: number[];
  text: string;
  /** Python's length-penalised `sequences_scores`, with beam search. */
  score?: number;
  /** With `post_process` (Nougat checkpoints): the text after `post_process_generation`. */
  post_processed?: string;
}

/** Nougat's `post_process_generation` on a response's texts (`post_process`, `fix_markdown`). */
export interface PostProcess {
  fixMarkdown: boolean;
}

export interface EngineOptions extends Pick<BatcherOptions, 'onStep' | 'onEncode'> {
  /** Continuous batching (default) or one request at a time. */
  batching?: boolean;
  /** Most decoder rows at once (default 16). */
  maxBatch?: number;
  /** Most requests waiting for the model before new ones are refused (default 256). */
  maxQueue?: number;
  /** Most new tokens per request (default 256). */
  maxNewTokensCap?: number;
}

export interface CaptionRequest {
  image: RawImage | PixelBatch;
  options: GenerationOptions;
  signal?: AbortSignal;
}

/** One request at a time, first come first served; a cancelled waiter leaves the line. */
class Line {
  private tail: Promise<void> = Promise.resolve();
  waiting = 0;
  busy = 0;

  /** Waits for the turn; the returned function ends it. */
  async acquire(signal: AbortSignal | undefined): Promise<() => void> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    this.waiting += 1;
    try {
      await previous;
    } finally {
      this.waiting -= 1;
    }
    if (signal?.aborted) {
      release();
      throw signal.reason;
    }
    this.busy += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.busy -= 1;
      release();
    };
  }
}

export class CaptionEngine {
  readonly batcher: ContinuousBatcher | undefined;
  private readonly line = new Line();
  readonly maxQueue: number;
  readonly maxNewTokensCap: number;

  private constructor(
    readonly pipe: ImageToText,
    options: EngineOptions,
  ) {
    this.maxQueue = options.maxQueue ?? 256;
    this.maxNewTokensCap = options.maxNewTokensCap ?? 256;
    this.batcher =
      options.batching === false
        ? undefined
        : new ContinuousBatcher(pipe.model, {
            maxBatch: options.maxBatch ?? 16,
            ...(options.onStep ? { onStep: options.onStep } : {}),
            ...(options.onEncode ? { onEncode: options.onEncode } : {}),
            onWarning: () => {},
          });
  }

  static async load(modelDir: string, load: ModelLoadOptions = {}, options: EngineOptions = {}): Promise<CaptionEngine> {
    const pipe = await ImageToText.fromPretrained(modelDir, load);
    if (pipe.processor === undefined) {
      await pipe.dispose();
      throw new VedError('FILE_NOT_FOUND', `${modelDir} has no preprocessor_config.json, so images cannot be prepared for it.`);
    }
    return new CaptionEngine(pipe, options);
  }

  /** Requests accepted and not yet started (waiting for the encoder, or their turn). */
  get queueDepth(): number {
    return this.batcher ? this.batcher.waiting : this.line.waiting;
  }

  get activeRows(): number {
    return this.batcher ? this.batcher.activeRows : this.line.busy;
  }

  get inFlight(): number {
    return this.batcher ? this.batcher.inFlight : this.line.busy + this.line.waiting;
  }

  /** Refuses a request when the queue is full (503 with Retry-After). */
  admit(): void {
    if (this.queueDepth >= this.maxQueue) {
      throw new ServeError('QUEUE_FULL', 503, `The queue is full (${this.queueDepth} requests waiting, --max-queue ${this.maxQueue}); retry later.`, 1);
    }
  }

  /** The options a request runs with (the token cap applied) and whether it uses beams; throws option errors. */
  prepare(options: GenerationOptions): { options: GenerationOptions; beams: boolean } {
    const capped = applyTokenCap(options, this.pipe.generationConfig, this.maxNewTokensCap);
    return { options: capped, beams: usesBeams(capped, this.pipe.generationConfig) };
  }

  async pixels(image: RawImage | PixelBatch): Promise<PixelBatch> {
    return 'dims' in image ? image : this.pipe.preprocess([image]);
  }

  private inputs(pixelValues: PixelBatch, signal: AbortSignal | undefined) {
    return {
      pixelValues,
      modelGenerationConfig: this.pipe.generationConfig,
      ...(this.pipe.tokenizer ? { tokenizer: this.pipe.tokenizer } : {}),
      ...(signal ? { signal } : {}),
      onWarning: () => {},
    };
  }

  /** Refuses `post_process` for a checkpoint that has no such step (INVALID_OPTION), before any work. */
  checkPostProcess(): void {
    this.pipe.postProcessGeneration([]);
  }

  /** The sequences with Nougat's cleaned-up text beside each one, as `ved caption --post-process --json`. */
  postProcess(sequences: SequenceJson[], post: PostProcess): SequenceJson[] {
    return sequences.map((s) => ({ ...s, post_processed: this.pipe.postProcessGeneration(s.text, { fixMarkdown: post.fixMarkdown }) }));
  }

  /** Captions one image: its returned sequences, as `ved caption --json` prints them. */
  async caption(request: CaptionRequest): Promise<SequenceJson[]> {
    const { options, beams } = this.prepare(request.options);
    const pixelValues = await this.pixels(request.image);
    // Beam entries carry Python's `sequences_scores`, which generate() returns with these two.
    const run: GenerationOptions = beams ? { ...options, returnDictInGenerate: true, outputScores: true } : options;
    const inputs = this.inputs(pixelValues, request.signal);
    if (this.batcher) return this.sequences(await this.batcher.generate(inputs, run));
    const release = await this.line.acquire(request.signal);
    let out: GenerateOutput;
    try {
      out = await generate(this.pipe.model, inputs, run);
    } finally {
      release();
    }
    return this.sequences(out);
  }

  /**
   * Streams one image's tokens (greedy search and sampling; a beam request
   * yields only its final sequences): chunks of new tokens and text, then
   * the sequences.
   */
  async *stream(request: CaptionRequest): AsyncGenerator<{ chunk: StreamChunk } | { sequences: SequenceJson[] }> {
    const { options, beams } = this.prepare(request.options);
    if (beams) {
      yield { sequences: await this.caption({ ...request, options }) };
      return;
    }
    const pixelValues = await this.pixels(request.image);
    const inputs = { ...this.inputs(pixelValues, request.signal), decodeOptions: { skipSpecialTokens: true } };
    // Without batching, the stream holds the model until it is done.
    const release = this.batcher ? undefined : await this.line.acquire(request.signal);
    try {
      const stream: GenerationStream = this.batcher ? this.batcher.stream(inputs, options) : generateStream(this.pipe.model, inputs, options);
      for await (const chunk of stream) yield { chunk };
      yield { sequences: this.sequences(await stream.result) };
    } finally {
      release?.();
    }
  }

  private sequences(out: GenerateOutput): SequenceJson[] {
    const texts = this.pipe.tokenizer?.batchDecode(out.sequences, { skipSpecialTokens: true }) ?? [];
    return out.sequences.map((ids, k) => {
      const score = out.sequencesScores?.[k];
      return { ids, text: texts[k] ?? '', ...(score === undefined ? {} : { score }) };
    });
  }

  /** Finishes every accepted request, then releases the model. */
  async close(): Promise<void> {
    await this.batcher?.close();
    (await this.line.acquire(undefined))();
    await this.pipe.dispose();
  }
}
