/**
 * Decoding over an exported decoder: feeds exactly the inputs the graph
 * declares, keeps the `present.*` outputs as the next step's
 * `past_key_values.*`, and reuses the first step's cross-attention cache
 * (`.encoder.` slots) afterwards, as Optimum and transformers.js do. A
 * decoder exported without a cache is fed the whole sequence every step.
 */
import { VedError } from '../errors.js';
import type { InferenceSession, Runtime, Tensor } from '../runtime.js';
import type { DecodingSession, StepLogits } from '../model/decoding.js';
import type { DecoderSignature, FloatType } from './signature.js';
import { convertFloat, emptyCache, float32Data, gatherRows, int64Tensor } from './tensors.js';
import { checkStep, disposedError } from '../model/decoder-limits.js';
import type { DecodingGuard } from '../model/run-graphs.js';

export interface DecoderGraph {
  session: InferenceSession;
  signature: DecoderSignature;
}

/** The decoder graphs of an export: one merged graph, a split pair, or a cache-less graph. */
export interface DecoderRunners {
  /** Runs the first step (and every step when `later` is absent). */
  first: DecoderGraph;
  /** Runs the steps that continue from a cache. */
  later?: DecoderGraph;
}

export interface ImageStates {
  /** last_hidden_state of every image [images, N, H]. */
  hidden: Tensor;
  images: number;
}

export class ExportDecodingSession implements DecodingSession {
  length = 0;
  private readonly cache = new Map<string, Tensor>();
  private readonly hiddenByType = new Map<FloatType, Tensor>();
  private tokens: number[][];
  private mask: number[][];
  private closed = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly runners: DecoderRunners,
    private readonly images: ImageStates,
    private rowToImage: number[],
    private readonly fallback: { heads?: number; headDim?: number },
    private readonly guard?: DecodingGuard,
  ) {
    this.tokens = rowToImage.map(() => []);
    this.mask = rowToImage.map(() => []);
  }

  get rows(): number {
    return this.rowToImage.length;
  }

  /** Without a cache, every step re-reads the whole sequence. */
  private get cacheless(): boolean {
    return this.runners.later === undefined && this.runners.first.signature.cache.length === 0;
  }

  private hidden(type: FloatType): Tensor {
    let t = this.hiddenByType.get(type);
    if (t === undefined) {
      const rows = gatherRows(this.runtime, this.images.hidden, this.images.images, this.rowToImage);
      t = convertFloat(this.runtime, rows, type);
      this.hiddenByType.set(type, t);
    }
    return t;
  }

  async step(
    tokens: readonly (readonly number[])[],
    options: { allPositions?: boolean; attentionMask?: readonly (readonly number[])[] } = {},
  ): Promise<StepLogits> {
    this.checkOpen('step()');
    if (tokens.length !== this.rows) throw new VedError('INVALID_INPUT', `step() got ${tokens.length} rows, expected ${this.rows}.`);
    const t = tokens[0]?.length ?? 0;
    if (t === 0 || tokens.some((row) => row.length !== t)) {
      throw new VedError('INVALID_INPUT', 'step() needs the same non-zero number of tokens in every row.');
    }
    if (this.guard) checkStep(tokens, this.length, this.guard.limits);
    const graph = this.length > 0 && this.runners.later !== undefined ? this.runners.later : this.runners.first;
    const sig = graph.signature;
    const rows = this.rows;
    const newMask = tokens.map((row, r) => row.map((_, j) => options.attentionMask?.[r]?.[j] ?? 1));
    if (!sig.attentionMask && newMask.some((row) => row.some((v) => v !== 1))) {
      throw new VedError('INVALID_INPUT', `${sig.where} has no "attention_mask" input, so it cannot take a padding mask.`);
    }
    const cacheless = this.cacheless;
    // What the graph sees: the new tokens after `past` cached positions, or the whole sequence.
    const past = cacheless ? 0 : this.length;
    const fed = cacheless ? tokens.map((row, r) => [...this.tokens[r]!, ...row]) : tokens.map((row) => [...row]);
    const width = fed[0]!.length;
    const fullMask = this.mask.map((m, r) => [...m, ...newMask[r]!]);

    const feeds: Record<string, Tensor> = { input_ids: int64Tensor(this.runtime, fed.flat(), [rows, width]) };
    if (sig.encoderHiddenStates !== undefined) feeds.encoder_hidden_states = this.hidden(sig.encoderHiddenStates);
    if (sig.encoderAttentionMask) {
      const n = this.images.hidden.dims[1]!;
      feeds.encoder_attention_mask = int64Tensor(this.runtime, new Array<number>(rows * n).fill(1), [rows, n]);
    }
    if (sig.attentionMask) feeds.attention_mask = int64Tensor(this.runtime, fullMask.flat(), [rows, this.length + t]);
    const positions = Array.from({ length: width }, (_, j) => past + j);
    if (sig.positionIds) feeds.position_ids = int64Tensor(this.runtime, fed.flatMap(() => positions), [rows, width]);
    if (sig.tokenTypeIds) feeds.token_type_ids = int64Tensor(this.runtime, new Array<number>(rows * width).fill(0), [rows, width]);
    if (sig.cachePosition) feeds.cache_position = int64Tensor(this.runtime, positions, [width]);
    if (sig.useCacheBranch) feeds.use_cache_branch = this.runtime.tensor('bool', Uint8Array.of(past > 0 ? 1 : 0), [1]);
    if (sig.logitsToKeep !== undefined) feeds[sig.logitsToKeep] = int64Tensor(this.runtime, [options.allPositions ? t : 1], []);
    for (const slot of sig.cache) {
      const cached = this.cache.get(slot.name);
      if (past > 0 && cached === undefined) {
        throw new VedError('RUNTIME', `${sig.where}: no value for cache input "${slot.name}" after the first step (the previous graph did not return it).`);
      }
      feeds[slot.name] = past > 0 ? cached! : emptyCache(this.runtime, slot.type, slot.dims, rows, this.fallback);
    }

    let out: Awaited<ReturnType<InferenceSession['run']>>;
    try {
      out = await graph.session.run(feeds);
    } catch (cause) {
      if (this.guard?.isDisposed()) throw disposedError('step()'); // the model was disposed while this step ran
      throw new VedError('RUNTIME', `${sig.where} failed on a step of ${rows} row(s) after ${past} position(s): ${(cause as Error).message}`, { cause });
    }
    this.checkOpen('step()');

    for (const [pastName, outName] of cacheless ? [] : sig.presents) {
      // The cross-attention cache of the first step is kept: later outputs are copies or placeholders.
      if (pastName.includes('.encoder.') && past > 0 && this.cache.has(pastName)) continue;
      this.cache.set(pastName, out[outName]!);
    }
    this.tokens = this.tokens.map((row, r) => [...row, ...tokens[r]!]);
    this.mask = fullMask;
    this.length += t;

    const logits = out.logits!;
    const values = float32Data(logits);
    const [, positionsOut = 1, vocab = 0] = logits.dims;
    const keep = options.allPositions ? t : 1;
    if (positionsOut === keep) return { data: values, rows, positions: keep, vocab };
    const data = new Float32Array(rows * keep * vocab);
    for (let r = 0; r < rows; r++) {
      const from = (r * positionsOut + positionsOut - keep) * vocab;
      data.set(values.subarray(from, from + keep * vocab), r * keep * vocab);
    }
    return { data, rows, positions: keep, vocab };
  }

  reorder(indices: readonly number[]): void {
    this.checkOpen('reorder()');
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= this.rows) throw new VedError('INVALID_INPUT', `reorder(): row ${i} does not exist (${this.rows} rows).`);
    }
    const images = indices.map((i) => this.rowToImage[i]!);
    const sameImages = images.length === this.rowToImage.length && images.every((img, r) => img === this.rowToImage[r]);
    for (const [name, value] of this.cache) {
      // Cross keys/values depend only on the image: beams that stay with their image need no copy.
      if (sameImages && name.includes('.encoder.')) continue;
      this.cache.set(name, gatherRows(this.runtime, value, this.rows, indices));
    }
    if (!sameImages) this.hiddenByType.clear();
    this.tokens = indices.map((i) => [...this.tokens[i]!]);
    this.mask = indices.map((i) => [...this.mask[i]!]);
    this.rowToImage = images;
  }

  /** Releases the caches; idempotent. Later steps are `DISPOSED` errors. */
  dispose(): void {
    this.closed = true;
    this.cache.clear();
    this.hiddenByType.clear();
  }

  private checkOpen(what: string): void {
    if (this.closed) throw disposedError(`DecodingSession.${what}`);
    if (this.guard?.isDisposed()) throw disposedError(what);
  }
}
