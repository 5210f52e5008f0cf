/**
 * Image-to-text, one implementation for every backend: a model (built from
 * safetensors or an ONNX export), its image processor, tokenizer and
 * generation config behind one object, with `generate()` (ved's full results),
 * `stream()` and the options of `CaptionOptions`. A backend supplies only the
 * files, the runtime and the decoding of its image inputs (`ImageSource`);
 * backend-node and backend-web export it as their `ImageToText`.
 */
import {
  ImageProcessor,
  Tokenizer,
  VedError,
  nougatPostProcessGeneration,
  readOptionalJson,
  type NougatPostProcessOptions,
  type ImageLimitOptions,
  type ModelFiles,
  type PixelBatch,
  type RawImage,
  type Runtime,
} from '@ved/core';
import {
  TextAccumulator,
  buildPrompt,
  chunkStream,
  generate,
  generateStream,
  mergeGeneration,
  modelGenerationConfig,
  type GenerateInputs,
  type GenerateOutput,
  type GenerationOptions,
  type StreamChunk,
} from '@ved/generation';
import { planStreaming, type StreamingPlan } from './beam-streaming.js';
import { loadModel, type LoadedModel, type ModelLoadOptions } from './load-model.js';
import { splitCaptionOptions, type CaptionOptions, type RunOptions } from './options.js';
import { replaySequences, tokenStreamer } from './token-events.js';

/** What a backend supplies: how its image inputs become pixels. */
export interface ImageSource<I> {
  /** Decodes one input as `np.array(PIL.Image.open(f))` would hold it; unsupported inputs are a `VedError` listing the accepted kinds. */
  load(input: I, options: ImageLoadOptions): Promise<RawImage>;
  /** How an input is named in error messages (a path, a URL, `images[2]`). */
  name(input: I, index: number): string;
}

/** Options of one image load: the decompression-bomb limit and cancellation. */
export interface ImageLoadOptions extends ImageLimitOptions {
  signal?: AbortSignal;
}

export interface CaptionResult extends GenerateOutput {
  /** Whole sequences as Python's `generate` returns them (start token first, pad after eos), `numReturnSequences` per image. */
  sequences: number[][];
  /** `batch_decode(sequences, skip_special_tokens=True)`, when the checkpoint has a tokenizer (else empty). */
  texts: string[];
}

/** `stream()`: the steps as they are generated, then the whole result. */
export interface CaptionStream extends AsyncIterable<StreamChunk> {
  /** The whole output with texts, as `generate()` returns it (rejects if the call failed or was cancelled). */
  readonly result: Promise<CaptionResult>;
  /** `'tokens'`: chunks arrive as tokens are generated; `'whole'`: beam search ran first and its tokens are replayed. */
  readonly delivery: 'tokens' | 'whole';
  /** Beams the generation uses (1 when a beam config was streamed greedily). */
  readonly numBeams: number;
}

/** The parts `ImageToText` is made of, loaded by `loadImageToTextParts`. */
export interface ImageToTextParts {
  model: LoadedModel;
  processor: ImageProcessor | undefined;
  tokenizer: Tokenizer | undefined;
  generationConfig: GenerationOptions;
  files: ModelFiles;
}

/** Loads the model (either format), image processor, tokenizer and generation config of `files`. */
export async function loadImageToTextParts(files: ModelFiles, runtime: Runtime, options: ModelLoadOptions = {}): Promise<ImageToTextParts> {
  const model = await loadModel(files, runtime, options);
  try {
    const processorJson = await readOptionalJson(files, 'preprocessor_config.json');
    const processor =
      processorJson === undefined ? undefined : await ImageProcessor.load(processorJson, { source: `${files.location}/preprocessor_config.json` });
    const tokenizer = await Tokenizer.fromFiles(files);
    const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
    return { model, processor, tokenizer, generationConfig, files };
  } catch (err) {
    await model.dispose();
    throw err;
  }
}

function isPixelBatch(value: unknown): value is PixelBatch {
  return typeof value === 'object' && value !== null && 'dims' in value && 'data' in value && !('width' in value);
}

export class ImageToText<I, R extends Runtime = Runtime> {
  readonly model: LoadedModel;
  readonly processor: ImageProcessor | undefined;
  readonly tokenizer: Tokenizer | undefined;
  readonly generationConfig: GenerationOptions;
  readonly files: ModelFiles;
  /** How image inputs are decoded: the decompression-bomb limit (`maxImagePixels`) and where its warning goes. */
  imageOptions: ImageLimitOptions;
  private disposing: Promise<void> | undefined;

  constructor(
    parts: ImageToTextParts,
    readonly runtime: R,
    private readonly images: ImageSource<I>,
    imageOptions: ImageLimitOptions = {},
  ) {
    this.model = parts.model;
    this.processor = parts.processor;
    this.tokenizer = parts.tokenizer;
    this.generationConfig = parts.generationConfig;
    this.files = parts.files;
    this.imageOptions = imageOptions;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.disposing !== undefined;
  }

  private assertLive(what: string): void {
    if (this.disposing !== undefined) throw new VedError('DISPOSED', `ImageToText.${what} was called after dispose(); load the model again.`);
  }

  /**
   * Decodes images (one at a time: a batch of large files never sits in memory
   * at once) and preprocesses them into `pixel_values`, exactly as Python's
   * image processor does.
   */
  async preprocess(images: I | readonly I[], options: { signal?: AbortSignal } = {}): Promise<PixelBatch> {
    this.assertLive('preprocess()');
    const list = (Array.isArray(images) ? images : [images]) as readonly I[];
    if (this.processor === undefined) {
      throw new VedError('FILE_NOT_FOUND', `The checkpoint at ${this.files.location} has no preprocessor_config.json, so images cannot be prepared; pass pixel values instead.`);
    }
    const load = { ...this.imageOptions, ...(options.signal ? { signal: options.signal } : {}) };
    return this.processor.preprocessEach(
      list,
      (img) => {
        options.signal?.throwIfAborted();
        return this.images.load(img, load);
      },
      (img, i) => this.images.name(img, i),
    );
  }

  private async pixels(images: I | readonly I[] | PixelBatch, signal: AbortSignal | undefined): Promise<PixelBatch> {
    return isPixelBatch(images) ? images : this.preprocess(images as I | readonly I[], signal ? { signal } : {});
  }

  /** The decoder prompt rows of `run`, for `batch` images. */
  private decoderPrompt(run: RunOptions, batch: number): number[][] | undefined {
    if (run.prompt !== undefined && run.decoderInputIds !== undefined) {
      throw new VedError('INVALID_OPTION', 'Give the decoder prompt as "prompt" (text) or "decoderInputIds" (ids), not both.');
    }
    if (run.prompt !== undefined) {
      const tokenizer = this.tokenizer;
      if (tokenizer === undefined) throw new VedError('FILE_NOT_FOUND', `The checkpoint at ${this.files.location} has no tokenizer, so "prompt" cannot be tokenized; pass "decoderInputIds".`);
      const prompts = typeof run.prompt === 'string' ? new Array<string>(batch).fill(run.prompt) : [...run.prompt];
      if (prompts.length !== batch || prompts.some((p) => typeof p !== 'string')) {
        throw new VedError('INVALID_OPTION', `"prompt" must be a string or one string per image (${batch}), got ${JSON.stringify(run.prompt)}.`);
      }
      return prompts.map((p) => tokenizer.encode(p, { addSpecialTokens: false }));
    }
    const ids = run.decoderInputIds;
    if (ids === undefined) return undefined;
    if (ids.length > 0 && ids.every((t) => typeof t === 'number')) return new Array(batch).fill(0).map(() => [...(ids as readonly number[])]);
    return (ids as readonly (readonly number[])[]).map((row) => [...row]);
  }

  private inputs(pixelValues: PixelBatch, run: RunOptions, signal: AbortSignal | undefined): Omit<GenerateInputs, 'streamer'> {
    const prompt = this.decoderPrompt(run, pixelValues.dims[0]);
    return {
      pixelValues,
      modelGenerationConfig: this.generationConfig,
      ...(prompt !== undefined ? { decoderInputIds: prompt } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(this.tokenizer !== undefined ? { tokenizer: this.tokenizer } : {}),
      ...(run.logitsProcessor !== undefined ? { logitsProcessor: run.logitsProcessor } : {}),
      ...(run.stoppingCriteria !== undefined ? { stoppingCriteria: run.stoppingCriteria } : {}),
      ...(run.prefixAllowedTokensFn !== undefined ? { prefixAllowedTokensFn: run.prefixAllowedTokensFn } : {}),
      ...(run.onWarning !== undefined ? { onWarning: run.onWarning } : {}),
      ...(run.interpolatePosEncoding !== undefined ? { interpolatePosEncoding: run.interpolatePosEncoding } : {}),
    };
  }

  /** Length of the decoder prompt generation starts from (start token and prompt). */
  private promptLength(inputs: Omit<GenerateInputs, 'streamer'>, options: GenerationOptions): number {
    const merged = mergeGeneration(this.generationConfig, options);
    return buildPrompt(inputs.decoderInputIds, inputs.pixelValues.dims[0], merged.decoderStartTokenId, this.model.encoderModelType, this.model.decoderModelType)[0]!.length;
  }

  private withTexts(out: GenerateOutput): CaptionResult {
    return { ...out, texts: this.tokenizer?.batchDecode(out.sequences, { skipSpecialTokens: true }) ?? [] };
  }

  private decodeText(): ((ids: number[]) => string) | undefined {
    const tokenizer = this.tokenizer;
    return tokenizer === undefined ? undefined : (ids) => tokenizer.decode(ids, { skipSpecialTokens: true });
  }

  /**
   * Nougat's `post_process_generation` (`NougatProcessor` / `NougatTokenizer`): the decoded page cleaned up as
   * Python cleans it (hallucinated headings and references, repetitions, lists, tables; with `fixMarkdown`,
   * the default, Markdown-compatible equations, URLs and code blocks). For a checkpoint with Nougat's image
   * processor (facebook/nougat-*); another checkpoint's texts have no such step (INVALID_OPTION).
   */
  postProcessGeneration(generation: string, options?: NougatPostProcessOptions): string;
  postProcessGeneration(generation: readonly string[], options?: NougatPostProcessOptions): string[];
  postProcessGeneration(generation: string | readonly string[], options: NougatPostProcessOptions = {}): string | string[] {
    const processor = this.processor;
    if (processor?.config.nougat === undefined) {
      const kind = processor === undefined ? 'has no image processor' : `uses ${processor.config.imageProcessorType}`;
      throw new VedError('INVALID_OPTION', `postProcessGeneration is Nougat's text clean-up (NougatProcessor); ${this.files.location} ${kind}, whose texts have no such step.`);
    }
    return nougatPostProcessGeneration(generation, options);
  }

  /**
   * Captions (or reads) one image or a batch with any of Python's generation
   * options (`numBeams`, `doSample`, `topP`, …) and the call options of
   * `CaptionOptions` (`signal`, `onToken`, `prompt` / `decoderInputIds`, …).
   * Stop strings use the checkpoint's tokenizer.
   */
  async generate(images: I | readonly I[] | PixelBatch, options: CaptionOptions = {}): Promise<CaptionResult> {
    this.assertLive('generate()');
    const { generation, run } = splitCaptionOptions(options);
    // The plan is checked before any image is read, so a refused combination fails fast.
    const plan: StreamingPlan | undefined = run.onToken === undefined ? undefined : planStreaming(this.generationConfig, generation, run.beamStreaming);
    const pixelValues = await this.pixels(images, run.signal);
    const inputs = this.inputs(pixelValues, run, run.signal);
    if (plan === undefined || run.onToken === undefined) return this.withTexts(await generate(this.model, inputs, generation));
    const streamer = tokenStreamer(run.onToken, this.decodeText());
    if (plan.delivery === 'tokens') return this.withTexts(await generate(this.model, { ...inputs, streamer }, plan.options));
    const out = await generate(this.model, inputs, plan.options);
    replaySequences(streamer, out.sequences, this.promptLength(inputs, plan.options));
    return this.withTexts(out);
  }

  /**
   * `generate()` as an async iterable of steps: each chunk holds every row's
   * new token and, with a tokenizer, the text each row finalized (whole words,
   * as Python's `TextStreamer` releases them); a last chunk flushes the rest.
   * Under a beam config see `beamStreaming` (docs/api.md). Leaving the loop
   * early cancels generation. `await` on the returned object is allowed.
   */
  stream(images: I | readonly I[] | PixelBatch, options: CaptionOptions = {}): CaptionStream {
    this.assertLive('stream()');
    const { generation, run } = splitCaptionOptions(options);
    if (run.onToken !== undefined) throw new VedError('INVALID_OPTION', 'stream() yields the tokens itself; "onToken" belongs to generate().');
    const plan = planStreaming(this.generationConfig, generation, run.beamStreaming);
    const stream = chunkStream(run.signal, async (push: (chunk: StreamChunk) => void, signal): Promise<CaptionResult> => {
      const pixelValues = await this.pixels(images, signal);
      const inputs = this.inputs(pixelValues, run, signal);
      if (plan.delivery === 'tokens') {
        const steps = generateStream(this.model, { ...inputs, decodeOptions: { skipSpecialTokens: true } }, plan.options);
        for await (const chunk of steps) push(chunk);
        return this.withTexts(await steps.result);
      }
      const out = await generate(this.model, inputs, plan.options);
      for (const chunk of replayChunks(out.sequences, this.promptLength(inputs, plan.options), this.tokenizer)) push(chunk);
      return this.withTexts(out);
    });
    return {
      result: stream.result,
      delivery: plan.delivery,
      numBeams: plan.numBeams,
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
    };
  }

  /** Releases the model's sessions. Safe to call more than once (later calls wait for the first). */
  dispose(): Promise<void> {
    this.disposing ??= this.model.dispose();
    return this.disposing;
  }
}

/** The chunks `generateStream` would have produced for finished sequences (beam search, streamed whole). */
export function replayChunks(sequences: readonly (readonly number[])[], promptLength: number, tokenizer: Tokenizer | undefined): StreamChunk[] {
  const chunks: StreamChunk[] = [];
  const texts = tokenizer ? sequences.map(() => new TextAccumulator(tokenizer, { skipSpecialTokens: true })) : undefined;
  let step = -1;
  replaySequences(
    {
      put(value) {
        if (value.length > 0 && Array.isArray(value[0])) return;
        step += 1;
        const tokens = [...(value as readonly number[])];
        chunks.push({ step, tokens, ...(texts ? { text: tokens.map((t, r) => texts[r]!.push([t])) } : {}) });
      },
      end() {
        if (texts) chunks.push({ step, tokens: [], text: texts.map((t) => t.flush()), done: true });
      },
    },
    sequences,
    promptLength,
  );
  return chunks;
}
