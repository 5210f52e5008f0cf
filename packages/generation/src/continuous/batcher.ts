/**
 * Continuous batching for encoder-decoder generation (as LLM servers such as
 * vLLM and TGI batch at the level of decoding steps): requests that arrive
 * are encoded together and join the running decoder batch at the next step;
 * rows leave as soon as their request is done; a beam request takes
 * `numBeams` rows. Each request runs the ordinary `generate()` on a model of
 * its own (`RequestModel`) whose graph runs this batcher shares, so every
 * request gets the ids it would get alone, whatever else is in the batch.
 *
 * The loop: encode the waiting requests that fit (first come, first served),
 * wait until every running request has asked for its next step, run one
 * decoder step over all their rows, answer each request with its rows.
 */
import {
  VedError,
  type EncodeOptions,
  type EncodedImages,
  type EncoderDecoderLM,
  type PixelBatch,
  type RowBatchSession,
  type RowSource,
  type StepLogits,
} from '@ved/core';
import { generate, type GenerateInputs, type GenerateOutput } from '../generate.js';
import { generateStream, type GenerationStream, type StreamOptions } from '../generate-stream.js';
import type { GenerationOptions } from '../generation-config.js';
import { mergeGeneration } from '../resolve-config.js';
import { GroupedRowBatch } from './grouped-row-batch.js';
import { EncodedSlice, RequestModel, RowSession, type BatchHost } from './request-model.js';

export interface StepInfo {
  /** Rows in the step. */
  rows: number;
  /** Requests in the step. */
  requests: number;
  /** Rows that joined at this step. */
  joined: number;
  /** Tokens handed to requests (rows whose prompt was complete). */
  tokens: number;
  /** Wall time of the step (the graph run and the slicing), ms. */
  ms: number;
}

export interface EncodeInfo {
  images: number;
  requests: number;
  ms: number;
  /** How long each of the requests waited for this run, ms. */
  waitedMs: number[];
}

export interface BatcherOptions {
  /** Most rows decoding at once (default 16). A request needs images × max(numBeams, numReturnSequences) rows. */
  maxBatch?: number;
  /** Most images per encoder run (default: `maxBatch`). */
  maxEncodeBatch?: number;
  /** Called after every decoder step (metrics). */
  onStep?: (info: StepInfo) => void;
  /** Called after every encoder run (metrics). */
  onEncode?: (info: EncodeInfo) => void;
  /** Where Python's warnings of the requests go (default: dropped; generate() validates as usual). */
  onWarning?: (message: string) => void;
}

interface PendingEncode {
  request: RequestModel;
  pixelValues: PixelBatch;
  options: EncodeOptions;
  queuedAt: number;
  resolve: (slice: EncodedSlice) => void;
  reject: (err: unknown) => void;
}

const sameShape = (a: PendingEncode, b: PendingEncode) =>
  a.pixelValues.dims.slice(1).every((d, i) => d === b.pixelValues.dims[i + 1]) && (a.options.interpolatePosEncoding === true) === (b.options.interpolatePosEncoding === true);

export class ContinuousBatcher implements BatchHost {
  readonly maxBatch: number;
  readonly maxEncodeBatch: number;
  private readonly rowBatch: RowBatchSession;
  /** True when rows of different lengths share one graph run (the model's step graph takes per-row positions). */
  readonly mixedLengths: boolean;
  private readonly waitingEncodes: PendingEncode[] = [];
  /** Running sessions, in the order their rows sit in the batch. */
  private sessions: RowSession[] = [];
  /** Requests between their encoder run and their first step. */
  private readonly starting = new Set<RequestModel>();
  private readonly live = new Set<RequestModel>();
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private closing = false;

  constructor(
    readonly model: EncoderDecoderLM,
    private readonly options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 16;
    this.maxEncodeBatch = options.maxEncodeBatch ?? this.maxBatch;
    for (const [name, v] of [['maxBatch', this.maxBatch], ['maxEncodeBatch', this.maxEncodeBatch]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new VedError('INVALID_OPTION', `${name} must be a positive integer, got ${String(v)}.`);
    }
    const rows = model.startRowBatch?.();
    this.mixedLengths = rows !== undefined;
    this.rowBatch = rows ?? new GroupedRowBatch(model);
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  get encoderModelType(): string {
    return this.model.encoderModelType;
  }

  get decoderModelType(): string | undefined {
    return this.model.decoderModelType;
  }

  /** Requests waiting for the encoder (not yet in the batch). */
  get waiting(): number {
    return this.waitingEncodes.length;
  }

  /** Rows decoding now. */
  get activeRows(): number {
    return this.sessions.reduce((n, s) => n + (s.closed ? 0 : s.rows), 0);
  }

  /** Requests accepted and not finished. */
  get inFlight(): number {
    return this.live.size;
  }

  /** Rows a call of `generate(inputs, options)` needs; throws the option errors generate() would throw. */
  rowsFor(inputs: Pick<GenerateInputs, 'pixelValues' | 'modelGenerationConfig'>, options: GenerationOptions): number {
    const merged = mergeGeneration(inputs.modelGenerationConfig ?? {}, options);
    const expand = Math.max(merged.options.numBeams ?? 1, merged.options.numReturnSequences ?? 1);
    return inputs.pixelValues.dims[0] * expand;
  }

  /** `generate()` inside the shared batch. */
  generate(inputs: GenerateInputs, options: GenerationOptions = {}): Promise<GenerateOutput> {
    let request: RequestModel;
    try {
      request = this.accept(inputs, options);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.track(request, generate(request, this.withWarnings(inputs), options));
  }

  /** `generateStream()` inside the shared batch (greedy search and sampling); option errors throw here. */
  stream(inputs: Omit<GenerateInputs, 'streamer'> & StreamOptions, options: GenerationOptions = {}): GenerationStream {
    const request = this.accept(inputs, options);
    const stream = generateStream(request, this.withWarnings(inputs), options);
    void this.track(request, stream.result).catch(() => {});
    return stream;
  }

  private withWarnings<T extends { onWarning?: (m: string) => void }>(inputs: T): T {
    return inputs.onWarning !== undefined || this.options.onWarning === undefined ? inputs : { ...inputs, onWarning: this.options.onWarning };
  }

  private accept(inputs: Pick<GenerateInputs, 'pixelValues' | 'modelGenerationConfig' | 'signal'>, options: GenerationOptions): RequestModel {
    if (this.closing) throw new VedError('RUNTIME', 'The batcher is closing and takes no new requests.');
    const rows = this.rowsFor(inputs, options);
    if (rows > this.maxBatch) {
      throw new VedError(
        'INVALID_OPTION',
        `This request needs ${rows} decoder rows (images × max(num_beams, num_return_sequences)), more than the batch holds (maxBatch ${this.maxBatch}).`,
      );
    }
    const request = new RequestModel(this, rows, inputs.signal);
    this.live.add(request);
    return request;
  }

  private track<T>(request: RequestModel, result: Promise<T>): Promise<T> {
    return result.finally(() => {
      this.live.delete(request);
      if (this.live.size === 0) this.drained?.();
      this.starting.delete(request);
      const queued = this.waitingEncodes.findIndex((p) => p.request === request);
      if (queued >= 0) this.waitingEncodes.splice(queued, 1);
      request.session?.dispose();
      this.notify();
    });
  }

  // ---- BatchHost: what requests call ----

  encode(request: RequestModel, pixelValues: PixelBatch, options: EncodeOptions): Promise<EncodedSlice> {
    const [b, c, h, w] = pixelValues.dims;
    if (pixelValues.data.length !== b * c * h * w) {
      return Promise.reject(new VedError('INVALID_INPUT', `pixel_values holds ${pixelValues.data.length} values, expected ${b * c * h * w} for [${pixelValues.dims.join(', ')}].`));
    }
    return new Promise<EncodedSlice>((resolve, reject) => {
      const pending: PendingEncode = { request, pixelValues, options, queuedAt: performance.now(), resolve, reject };
      const signal = request.signal;
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', () => {
        const i = this.waitingEncodes.indexOf(pending);
        if (i >= 0) {
          this.waitingEncodes.splice(i, 1);
          reject(signal.reason);
          this.notify();
        }
      });
      this.waitingEncodes.push(pending);
      this.ensureRunning();
      this.notify();
    });
  }

  register(session: RowSession): void {
    this.starting.delete(session.request);
    this.sessions.push(session);
    const signal = session.request.signal;
    signal?.addEventListener('abort', () => session.fail(signal.reason), { once: true });
    this.notify();
  }

  submit(_session: RowSession): void {
    this.notify();
  }

  release(session: RowSession): void {
    // Its rows leave at the next arrangement.
    this.notify();
  }

  // ---- the loop ----

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sleep(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private ensureRunning(): void {
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      if (this.waitingEncodes.length > 0 || this.sessions.some((s) => !s.closed)) this.ensureRunning();
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      await this.admit();
      const open = this.sessions.filter((s) => !s.closed);
      if (open.length === 0 && this.sessions.length > 0) {
        // Every row left: release the batch's memory.
        this.sessions = [];
        this.rowBatch.arrange([]);
      }
      if (open.length > 0 && open.every((s) => s.waiting) && this.starting.size === 0) {
        await this.runStep();
        // Let every request take its answer and ask for its next step (or finish).
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (open.length === 0 && this.starting.size === 0 && this.waitingEncodes.length === 0) return;
      if (this.admissible() > 0) continue;
      await this.sleep();
    }
  }

  /** Waiting requests (first come, first served) that fit in the rows left, encoded together. */
  private admissible(): number {
    let free = this.maxBatch - this.activeRows - [...this.starting].reduce((n, r) => n + r.rows, 0);
    let images = 0;
    let count = 0;
    const first = this.waitingEncodes[0];
    for (const p of this.waitingEncodes) {
      if (p.request.rows > free || !sameShape(p, first!)) break;
      if (count > 0 && images + p.pixelValues.dims[0] > this.maxEncodeBatch) break;
      free -= p.request.rows;
      images += p.pixelValues.dims[0];
      count += 1;
    }
    return count;
  }

  private async admit(): Promise<void> {
    const count = this.admissible();
    if (count === 0) return;
    const batch = this.waitingEncodes.splice(0, count);
    for (const p of batch) this.starting.add(p.request);
    const started = performance.now();
    const waitedMs = batch.map((p) => started - p.queuedAt);
    try {
      const pixels = batch.length === 1 ? batch[0]!.pixelValues : concatPixels(batch.map((p) => p.pixelValues));
      const encoded: EncodedImages = await this.model.encode(pixels, batch[0]!.options);
      let offset = 0;
      for (const p of batch) {
        const n = p.pixelValues.dims[0];
        p.request.encoded = true;
        p.resolve(new EncodedSlice(encoded, offset, n));
        offset += n;
      }
      this.options.onEncode?.({ images: pixels.dims[0], requests: batch.length, ms: performance.now() - started, waitedMs });
    } catch (err) {
      for (const p of batch) {
        this.starting.delete(p.request);
        p.reject(err);
      }
    }
    // The requests continue to their first step.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private async runStep(): Promise<void> {
    const started = performance.now();
    const sources: RowSource[] = [];
    const tokens: number[] = [];
    let base = 0;
    let joined = 0;
    const placed: Array<{ session: RowSession; start: number }> = [];
    // Rows of sessions that closed since the last step are not listed: they leave the batch.
    for (const s of this.sessions) {
      const previous = base;
      if (s.placed) base += s.previousRows;
      if (s.closed) continue;
      const start = sources.length;
      if (!s.placed) {
        for (const img of s.rowToImage) sources.push({ encoded: s.slice.encoded, image: s.slice.offset + img });
        joined += s.rows;
      } else {
        const select = s.select ?? Array.from({ length: s.previousRows }, (_, r) => r);
        for (const r of select) sources.push(previous + r);
      }
      for (const row of s.feed!) tokens.push(row[0]!);
      placed.push({ session: s, start });
    }
    // From here on the batch's rows are exactly these sessions' (a session closing during the step keeps its rows until the next one).
    this.sessions = placed.map((p) => p.session);
    const logProbs = placed.some((p) => p.session.logProbs);
    let out: StepLogits;
    try {
      this.rowBatch.arrange(sources);
      out = await this.rowBatch.step(tokens, logProbs ? { logProbs: true } : {});
    } catch (err) {
      this.failAll(placed.map((p) => p.session), err);
      return;
    }
    let handed = 0;
    const vocab = out.vocab;
    for (const { session, start } of placed) {
      session.placed = true;
      session.select = undefined;
      session.previousRows = session.rows;
      if (session.closed) continue;
      const end = start + session.rows;
      const answers = session.feed![0]!.length === 1;
      if (answers) handed += session.rows;
      session.stepped(
        answers
          ? {
              data: out.data.subarray(start * vocab, end * vocab),
              rows: session.rows,
              positions: 1,
              vocab,
              ...(out.logProbs ? { logProbs: out.logProbs.subarray(start * vocab, end * vocab) } : {}),
            }
          : undefined,
      );
    }
    this.options.onStep?.({ rows: sources.length, requests: placed.length, joined, tokens: handed, ms: performance.now() - started });
  }

  /** A graph run failed: the requests in it fail with the error, the batch starts empty. */
  private failAll(sessions: readonly RowSession[], err: unknown): void {
    this.sessions = this.sessions.filter((s) => !sessions.includes(s));
    for (const s of sessions) s.fail(err);
    try {
      this.rowBatch.arrange([]);
    } catch {
      // the batch is being reset anyway
    }
  }

  private drained: (() => void) | undefined;

  /** Stops taking requests and resolves once every accepted request has finished. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.live.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.running;
    this.rowBatch.dispose();
  }
}

function concatPixels(batches: readonly PixelBatch[]): PixelBatch {
  const [, c, h, w] = batches[0]!.dims;
  const n = batches.reduce((sum, b) => sum + b.dims[0], 0);
  const data = new Float32Array(n * c * h * w);
  let offset = 0;
  for (const b of batches) {
    data.set(b.data, offset);
    offset += b.data.length;
  }
  return { data, dims: [n, c, h, w] };
}
