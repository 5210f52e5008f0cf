/**
 * What one request of a continuous batch sees: an `EncoderDecoderLM` whose
 * `encode()` and decoding-session `step()` calls are answered by the shared
 * batch. The request runs the ordinary `generate()` on it, so its options,
 * processors, stopping rules, seeds and beams behave exactly as in a call of
 * its own; only the graph runs are shared with the other requests.
 */
import { VedError, type DecodingSession, type EncodedImages, type EncodeOptions, type EncoderDecoderLM, type PixelBatch, type StepLogits, type StepOptions } from '@ved/core';

/** A slice of a shared encoder run: images `offset .. offset + batchSize` of `encoded`. */
export class EncodedSlice implements EncodedImages {
  constructor(
    readonly encoded: EncodedImages,
    readonly offset: number,
    readonly batchSize: number,
  ) {}
}

/** What the batch does for a request (implemented by `ContinuousBatcher`). */
export interface BatchHost {
  readonly vocabSize: number;
  readonly encoderModelType: string;
  readonly decoderModelType?: string | undefined;
  encode(request: RequestModel, pixelValues: PixelBatch, options: EncodeOptions): Promise<EncodedSlice>;
  register(session: RowSession): void;
  submit(session: RowSession): void;
  release(session: RowSession): void;
}

/** One request's decoding session: its rows inside the shared batch. */
export class RowSession implements DecodingSession {
  length = 0;
  /** The tokens still to feed, one column per step (the prompt, then one token per step). */
  feed: number[][] | undefined;
  /** The step answers with log-probabilities too (beam search). */
  logProbs = false;
  /** Rows of the current step, in the order the next step continues them (beam parents); undefined: unchanged. */
  select: number[] | undefined;
  /** Set once its rows are in the batch. */
  placed = false;
  /** Its rows in the batch's last step. */
  previousRows = 0;
  closed = false;
  private answer: { resolve: (s: StepLogits) => void; reject: (e: unknown) => void } | undefined;

  constructor(
    private readonly host: BatchHost,
    readonly request: RequestModel,
    readonly slice: EncodedSlice,
    /** Image (within the slice) of each row. */
    public rowToImage: number[],
  ) {}

  get rows(): number {
    return this.rowToImage.length;
  }

  get waiting(): boolean {
    return this.answer !== undefined;
  }

  step(tokens: readonly (readonly number[])[], options: StepOptions = {}): Promise<StepLogits> {
    if (this.closed) return Promise.reject(new VedError('INVALID_INPUT', 'step() on a closed decoding session.'));
    if (this.answer !== undefined) return Promise.reject(new VedError('INVALID_INPUT', 'step() called again before the previous step finished.'));
    if (tokens.length !== this.rows) return Promise.reject(new VedError('INVALID_INPUT', `step() got ${tokens.length} rows, expected ${this.rows}.`));
    const t = tokens[0]?.length ?? 0;
    if (t === 0 || tokens.some((row) => row.length !== t)) {
      return Promise.reject(new VedError('INVALID_INPUT', 'step() needs the same non-zero number of tokens in every row.'));
    }
    // The batch feeds one token per row and step: a longer prompt is fed over several steps.
    if (t > 1 && this.length > 0) {
      return Promise.reject(new VedError('INVALID_INPUT', 'A continuous batch feeds several tokens per row only as the prompt (the first step).'));
    }
    if (options.allPositions || options.attentionMask?.some((row) => row.some((v) => v !== 1))) {
      return Promise.reject(new VedError('INVALID_INPUT', 'A continuous batch returns the last position only and takes no padding mask.'));
    }
    this.feed = tokens.map((row) => [...row]);
    this.logProbs = options.logProbs === true;
    return new Promise<StepLogits>((resolve, reject) => {
      this.answer = { resolve, reject };
      this.host.submit(this);
    });
  }

  /** The batch ran a step: takes this session's column of tokens; answers once the fed tokens are all in. */
  stepped(logits: StepLogits | undefined): void {
    this.length += 1;
    this.feed = this.feed!.map((row) => row.slice(1));
    if (this.feed[0]!.length > 0) return;
    this.feed = undefined;
    const answer = this.answer!;
    this.answer = undefined;
    answer.resolve(logits!);
  }

  /** Fails the pending step (the batch failed, or the request was cancelled) and leaves the batch. */
  fail(reason: unknown): void {
    const answer = this.answer;
    this.answer = undefined;
    this.feed = undefined;
    this.dispose();
    answer?.reject(reason);
  }

  reorder(indices: readonly number[]): void {
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= this.rows) throw new VedError('INVALID_INPUT', `reorder(): row ${i} does not exist (${this.rows} rows).`);
    }
    const pending = this.select;
    this.select = indices.map((i) => (pending === undefined ? i : pending[i]!));
    this.rowToImage = indices.map((i) => this.rowToImage[i]!);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.release(this);
  }
}

/** The model one request's `generate()` runs on. */
export class RequestModel implements EncoderDecoderLM {
  session: RowSession | undefined;
  /** The encoder run has answered and no session has started yet. */
  encoded = false;

  constructor(
    private readonly host: BatchHost,
    /** Rows the request will decode (images × max(beams, returned sequences)). */
    readonly rows: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  get vocabSize(): number {
    return this.host.vocabSize;
  }

  get encoderModelType(): string {
    return this.host.encoderModelType;
  }

  get decoderModelType(): string | undefined {
    return this.host.decoderModelType;
  }

  encode(pixelValues: PixelBatch, options: EncodeOptions = {}): Promise<EncodedImages> {
    return this.host.encode(this, pixelValues, options);
  }

  startDecoding(encoded: EncodedImages, rowToImage: readonly number[]): DecodingSession {
    if (!(encoded instanceof EncodedSlice)) throw new VedError('INVALID_INPUT', 'startDecoding needs the result of this model\'s encode().');
    for (const r of rowToImage) {
      if (!Number.isInteger(r) || r < 0 || r >= encoded.batchSize) {
        throw new VedError('INVALID_INPUT', `Row maps to image ${r}, but only ${encoded.batchSize} images were encoded.`);
      }
    }
    const session = new RowSession(this.host, this, encoded, [...rowToImage]);
    this.session = session;
    this.encoded = false;
    this.host.register(session);
    return session;
  }
}
