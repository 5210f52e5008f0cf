/**
 * Running the built graphs: opening a session with its external weights, and
 * the decoding session that feeds the decoder step graph token by token while
 * it keeps the self-attention cache (reordered by the graph itself for beams).
 */
import { VedError } from '../errors.js';
import type { BuiltModel } from '../onnx/graph-builder.js';
import type { InferenceSession, Runtime, SessionHints, Tensor } from '../runtime.js';
import type { CacheLayout } from '../contracts.js';
import type { DecodingSession, StepLogits, StepOptions } from './decoding.js';
import { checkStep, disposedError, type DecoderLimits } from './decoder-limits.js';
import {
  CACHE_INDEX,
  LOG_PROBS,
  PAST_LENGTHS,
  crossKeyName,
  crossValueName,
  pastKeyName,
  pastValueName,
  presentKeyName,
  presentValueName,
} from './graphs.js';

/** Opens a session over a built graph, handing its external weights (and the files they come from) to the runtime. */
export function createSession(
  runtime: Runtime,
  built: BuiltModel,
  options: InferenceSession.SessionOptions = {},
  hints: SessionHints = {},
): Promise<InferenceSession> {
  const extra = (options as { extra?: Record<string, Record<string, string>> }).extra ?? {};
  const sessionOptions: InferenceSession.SessionOptions & Record<string, unknown> = { ...options };
  if (built.externalData.length > 0) sessionOptions.externalData = built.externalData;
  if (built.externalFolder !== undefined) {
    sessionOptions.extra = { ...extra, session: { ...extra.session, model_external_initializers_file_folder_path: built.externalFolder } };
  }
  if (hints.cache === undefined || hints.cache === false) return runtime.createSession(built.model, sessionOptions);
  return runtime.createSession(built.model, sessionOptions, {
    ...hints,
    ...(built.diskFiles ? { diskFiles: built.diskFiles } : {}),
    ...(built.spilledFiles ? { spilledFiles: built.spilledFiles } : {}),
  });
}

/** What a decoding session checks before each step: its model's tables, and whether the model was disposed. */
export interface DecodingGuard {
  limits: DecoderLimits;
  isDisposed(): boolean;
}

/** Copies rows `rows` of a [B, ...] float tensor into a new [rows.length, ...] tensor. */
export function gatherRows(runtime: Runtime, t: Tensor, rows: readonly number[]): Tensor {
  const src = t.data as Float32Array;
  const rowSize = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((r, i) => out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
  return runtime.tensor('float32', out, [rows.length, ...t.dims.slice(1)]);
}

/** Every decoder layer's cross keys/values of the encoded images ([images, heads, N, headDim] each). */
export interface ImageCross {
  keys: Tensor[];
  values: Tensor[];
  /** The step graph lets a cross row serve a group of rows (`DecoderStepGraph.sharedCross`). */
  shared: boolean;
}

/**
 * The image each group of rows reads: with shared cross keys/values and rows that come in
 * groups of one size, each group one image's (the beams of each image, or one row per image),
 * one entry per group; otherwise `rowToImage` itself, one entry per row.
 */
export function crossRows(rowToImage: readonly number[], shared: boolean): readonly number[] {
  if (!shared || rowToImage.length === 0) return rowToImage;
  let run = 1;
  while (run < rowToImage.length && rowToImage[run] === rowToImage[0]) run++;
  if (rowToImage.length % run !== 0) return rowToImage;
  const groups: number[] = [];
  for (let start = 0; start < rowToImage.length; start += run) {
    for (let r = start; r < start + run; r++) if (rowToImage[r] !== rowToImage[start]) return rowToImage;
    groups.push(rowToImage[start]!);
  }
  return groups;
}

export class OrtDecodingSession implements DecodingSession {
  private keys: Tensor[];
  private values: Tensor[];
  private mask: number[][];
  /** Cache rows the next step reads, in order (beam reordering); identity when undefined. */
  private pendingOrder: number[] | undefined;
  private closed = false;
  length = 0;

  get rows(): number {
    return this.rowToImage.length;
  }

  /** Rows of cross keys/values the next step reads: one per group of rows that share them, else one per row. */
  get crossRowCount(): number {
    return this.fed.length;
  }

  /** What the step reads as cross keys/values: rows `fed` of the images' tensors. */
  private crossKeys: Tensor[] = [];
  private crossValues: Tensor[] = [];
  private fed: readonly number[] = [];

  constructor(
    private readonly runtime: Runtime,
    private readonly session: InferenceSession,
    private readonly layout: CacheLayout,
    private readonly images: ImageCross,
    /** The image each row attends to. */
    private rowToImage: number[],
    private readonly guard?: DecodingGuard,
  ) {
    this.feedCross();
    const rows = rowToImage.length;
    const empty = () => runtime.tensor('float32', new Float32Array(0), [rows, layout.heads, 0, layout.headDim]);
    this.keys = Array.from({ length: layout.layers }, empty);
    this.values = Array.from({ length: layout.layers }, empty);
    this.mask = Array.from({ length: rows }, () => []);
  }

  async step(tokens: readonly (readonly number[])[], options: StepOptions = {}): Promise<StepLogits> {
    this.checkOpen('step()');
    if (tokens.length !== this.rows) throw new VedError('INVALID_INPUT', `step() got ${tokens.length} rows, expected ${this.rows}.`);
    const t = tokens[0]?.length ?? 0;
    if (t === 0 || tokens.some((row) => row.length !== t)) {
      throw new VedError('INVALID_INPUT', 'step() needs the same non-zero number of tokens in every row.');
    }
    if (this.guard) checkStep(tokens, this.length, this.guard.limits);
    const ids = new BigInt64Array(this.rows * t);
    tokens.forEach((row, r) => row.forEach((id, j) => (ids[r * t + j] = BigInt(id))));
    // The padding mask grows with the cache: given masks cover the new tokens, default is all ones.
    this.mask.forEach((m, r) => {
      const given = options.attentionMask?.[r];
      for (let j = 0; j < t; j++) m.push(given?.[j] ?? 1);
    });
    const total = this.length + t;
    const mask = new BigInt64Array(this.rows * total);
    this.mask.forEach((m, r) => m.forEach((v, j) => (mask[r * total + j] = BigInt(v))));
    const order = this.pendingOrder ?? Array.from({ length: this.rows }, (_, r) => r);
    this.pendingOrder = undefined;
    const feeds: Record<string, Tensor> = {
      input_ids: this.runtime.tensor('int64', ids, [this.rows, t]),
      attention_mask: this.runtime.tensor('int64', mask, [this.rows, total]),
      [CACHE_INDEX]: this.runtime.tensor('int64', BigInt64Array.from(order, (r) => BigInt(r)), [this.rows]),
    };
    // Every row of this session has the same length.
    if (this.session.inputNames.includes(PAST_LENGTHS)) {
      feeds[PAST_LENGTHS] = this.runtime.tensor('int64', new BigInt64Array(this.rows).fill(BigInt(this.length)), [this.rows]);
    }
    for (let i = 0; i < this.layout.layers; i++) {
      feeds[pastKeyName(i)] = this.keys[i]!;
      feeds[pastValueName(i)] = this.values[i]!;
      feeds[crossKeyName(i)] = this.crossKeys[i]!;
      feeds[crossValueName(i)] = this.crossValues[i]!;
    }
    const fetches = ['logits', ...(options.logProbs ? [LOG_PROBS] : [])];
    for (let i = 0; i < this.layout.layers; i++) fetches.push(presentKeyName(i), presentValueName(i));
    let out: Awaited<ReturnType<InferenceSession['run']>>;
    try {
      out = await this.session.run(feeds, fetches);
    } catch (cause) {
      // The model was disposed while this step ran: its session is gone.
      if (this.guard?.isDisposed()) throw disposedError('step()');
      throw cause;
    }
    this.checkOpen('step()');
    for (let i = 0; i < this.layout.layers; i++) {
      this.keys[i] = out[presentKeyName(i)]!;
      this.values[i] = out[presentValueName(i)]!;
    }
    this.length = total;
    const logits = out.logits!;
    const vocab = logits.dims[2]!;
    const logProbs = out[LOG_PROBS]?.data as Float32Array | undefined;
    if (options.allPositions || t === 1) {
      return { data: logits.data as Float32Array, rows: this.rows, positions: t, vocab, ...(logProbs ? { logProbs } : {}) };
    }
    const lastOf = (all: Float32Array) => {
      const last = new Float32Array(this.rows * vocab);
      for (let r = 0; r < this.rows; r++) last.set(all.subarray((r * t + t - 1) * vocab, (r * t + t) * vocab), r * vocab);
      return last;
    };
    return { data: lastOf(logits.data as Float32Array), rows: this.rows, positions: 1, vocab, ...(logProbs ? { logProbs: lastOf(logProbs) } : {}) };
  }

  reorder(indices: readonly number[]): void {
    this.checkOpen('reorder()');
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= this.rows) throw new VedError('INVALID_INPUT', `reorder(): row ${i} does not exist (${this.rows} rows).`);
    }
    // The self-attention cache is reordered by the next step's graph (cache_index).
    const pending = this.pendingOrder;
    this.pendingOrder = indices.map((i) => (pending === undefined ? i : pending[i]!));
    // Beams stay with their image, so the cross keys/values usually need no copy.
    this.rowToImage = indices.map((i) => this.rowToImage[i]!);
    this.feedCross();
    this.mask = indices.map((i) => [...this.mask[i]!]);
  }

  /** Picks the images' cross rows the step reads (one per group of rows, see `crossRows`), copying only when they change. */
  private feedCross(): void {
    const rows = crossRows(this.rowToImage, this.images.shared);
    if (this.crossKeys.length > 0 && rows.length === this.fed.length && rows.every((img, i) => img === this.fed[i])) return;
    const batch = this.images.keys[0]?.dims[0];
    const identity = rows.length === batch && rows.every((img, i) => img === i);
    const pick = (t: Tensor) => (identity ? t : gatherRows(this.runtime, t, rows));
    this.crossKeys = this.images.keys.map(pick);
    this.crossValues = this.images.values.map(pick);
    this.fed = rows;
  }

  /** Releases the caches; idempotent. Later steps are `DISPOSED` errors. */
  dispose(): void {
    this.closed = true;
    this.keys = [];
    this.values = [];
  }

  private checkOpen(what: string): void {
    if (this.closed) throw disposedError(`DecodingSession.${what}`);
    if (this.guard?.isDisposed()) throw disposedError(what);
  }
}
