/**
 * Continuous batching over ved's decoder step graph: rows join, leave and
 * follow beams between steps, and rows holding different numbers of tokens
 * share every step.
 *
 * All rows share one self-attention cache of `width` positions. A row that
 * joined after others sits behind `pad` masked positions at the start of the
 * cache: its attention mask is 0 there, and the step graph's `past_lengths`
 * input gives it its own positions (`width - pad`), so it computes what it
 * would compute alone (a masked position gets exactly zero attention weight).
 * The cache follows the rows through the graph's `cache_index` Gather, so
 * dropping or reordering rows copies nothing in JavaScript; when every row
 * has padding in front, the common part is cut off.
 *
 * The cross-attention keys/values live in one buffer per layer, one slot per
 * row. A slot is rewritten only when its row changes image (a row joined, or
 * a row moved into the slot of one that left), so a step copies nothing of
 * the images' keys/values either: the physical order of the rows in the graph
 * is free, and the logits are returned in the caller's order.
 */
import { VedError } from '../errors.js';
import type { CacheLayout } from '../contracts.js';
import type { InferenceSession, Runtime, Tensor } from '../runtime.js';
import type { EncodedImages, RowBatchSession, RowSource, StepLogits } from './decoding.js';
import { isTokenId, sequenceTooLong, tokenOutOfRange, type DecoderLimits } from './decoder-limits.js';
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

/** The cross keys/values of every layer of an encoded batch, [images, heads, N, headDim] each. */
export interface CrossStates {
  keys: readonly Tensor[];
  values: readonly Tensor[];
}

interface ImageRef {
  readonly states: CrossStates;
  readonly index: number;
}

interface PhysicalRow {
  image: ImageRef;
  /** Masked positions at the start of the cache (the row's own length is `width - pad`). */
  pad: number;
}

export class OrtRowBatchSession implements RowBatchSession {
  private keys: Tensor[] = [];
  private values: Tensor[] = [];
  /** Positions in the self-attention cache. */
  private width = 0;
  /** The rows in the graph's (physical) order. */
  private physical: PhysicalRow[] = [];
  /** Caller's row r is physical row `logical[r]`. */
  private logical: number[] = [];
  /** Physical row q of the next step continues cached row `cacheIndex[q]` (-1: a new row). */
  private cacheIndex: number[] = [];
  /** One buffer per layer for keys and for values: slot q holds the image of `slotImage[q]`. */
  private slabKeys: Float32Array[] = [];
  private slabValues: Float32Array[] = [];
  private slotImage: (ImageRef | undefined)[] = [];
  private slotSize = 0;
  private crossDims: [number, number, number] | undefined;
  private readonly imageRefs = new WeakMap<EncodedImages, ImageRef[]>();
  private crossFeeds: { rows: number; buffer: Float32Array | undefined; keys: Tensor[]; values: Tensor[] } | undefined;
  private disposed = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly session: InferenceSession,
    private readonly layout: CacheLayout,
    /** The cross keys/values of this model's `encode()` result; undefined for anything else. */
    private readonly crossOf: (encoded: EncodedImages) => CrossStates | undefined,
    /** Cut the common padding once it is at least this many positions and a quarter of the cache. */
    private readonly trimAt = 8,
    /** The decoder's vocabulary and position table: a step past them is a typed error, not onnxruntime's. */
    private readonly limits?: DecoderLimits,
  ) {}

  get rows(): number {
    return this.logical.length;
  }

  /** Positions in the shared cache (for tests and metrics). */
  get cacheWidth(): number {
    return this.width;
  }

  private imageRef(encoded: EncodedImages, image: number): ImageRef {
    let refs = this.imageRefs.get(encoded);
    if (refs === undefined) {
      const states = this.crossOf(encoded);
      if (states === undefined) throw new VedError('INVALID_INPUT', 'A row batch takes images encoded by the same model\'s encode().');
      refs = [];
      this.imageRefs.set(encoded, refs);
    }
    if (!Number.isInteger(image) || image < 0 || image >= encoded.batchSize) {
      throw new VedError('INVALID_INPUT', `A new row asks for image ${image}, but only ${encoded.batchSize} images were encoded.`);
    }
    return (refs[image] ??= { states: this.crossOf(encoded)!, index: image });
  }

  arrange(sources: readonly RowSource[]): void {
    if (this.disposed) throw new VedError('INVALID_INPUT', 'The row batch session was disposed.');
    // Only new rows: start a fresh cache rather than padding behind the old one.
    if (this.cacheIndex.length === 0 && !sources.some((s) => typeof s === 'number')) {
      this.keys = [];
      this.values = [];
      this.width = 0;
    }
    const rows = sources.map((source) => {
      if (typeof source === 'number') {
        if (!Number.isInteger(source) || source < 0 || source >= this.logical.length) {
          throw new VedError('INVALID_INPUT', `arrange(): row ${source} does not exist (${this.logical.length} rows).`);
        }
        const q = this.logical[source]!;
        return { image: this.physical[q]!.image, pad: this.physical[q]!.pad, from: this.cacheIndex.length > 0 ? this.cacheIndex[q]! : q };
      }
      return { image: this.imageRef(source.encoded, source.image), pad: this.width, from: -1 };
    });
    if (rows.length === 0) {
      this.reset();
      return;
    }
    this.ensureSlots(rows.length, rows[0]!.image);
    // Keep every row whose slot already holds its image where it is; place the others in the free slots.
    const n = rows.length;
    const freeByImage = new Map<ImageRef, number[]>();
    for (let q = 0; q < n; q++) {
      const img = this.slotImage[q];
      if (img !== undefined) (freeByImage.get(img) ?? freeByImage.set(img, []).get(img)!).push(q);
    }
    const slotOf = new Array<number>(n).fill(-1);
    const taken = new Array<boolean>(n).fill(false);
    rows.forEach((row, r) => {
      const q = freeByImage.get(row.image)?.pop();
      if (q !== undefined) {
        slotOf[r] = q;
        taken[q] = true;
      }
    });
    let next = 0;
    rows.forEach((row, r) => {
      if (slotOf[r] !== -1) return;
      while (taken[next]) next++;
      slotOf[r] = next;
      taken[next] = true;
      this.writeSlot(next, row.image);
    });
    for (let q = n; q < this.slotImage.length; q++) this.slotImage[q] = undefined;
    const physical = new Array<PhysicalRow>(n);
    const cacheIndex = new Array<number>(n);
    rows.forEach((row, r) => {
      physical[slotOf[r]!] = { image: row.image, pad: row.pad };
      cacheIndex[slotOf[r]!] = row.from;
    });
    this.physical = physical;
    this.cacheIndex = cacheIndex;
    this.logical = slotOf;
  }

  private reset(): void {
    this.keys = [];
    this.values = [];
    this.width = 0;
    this.physical = [];
    this.logical = [];
    this.cacheIndex = [];
    this.slabKeys = [];
    this.slabValues = [];
    this.slotImage = [];
    this.crossFeeds = undefined;
  }

  /** Makes room for `rows` slots, checking that every image has the same cross-attention shape. */
  private ensureSlots(rows: number, sample: ImageRef): void {
    const dims = sample.states.keys[0]?.dims;
    if (dims !== undefined) {
      const shape: [number, number, number] = [dims[1]!, dims[2]!, dims[3]!];
      if (this.crossDims === undefined) {
        this.crossDims = shape;
        this.slotSize = shape[0] * shape[1] * shape[2];
      }
    }
    const capacity = this.slabKeys[0] === undefined ? 0 : this.slabKeys[0].length / Math.max(1, this.slotSize);
    if (this.slabKeys.length === 0 && this.layout.layers > 0) {
      this.slabKeys = Array.from({ length: this.layout.layers }, () => new Float32Array(0));
      this.slabValues = Array.from({ length: this.layout.layers }, () => new Float32Array(0));
    }
    if (rows <= capacity) return;
    const grown = Math.max(rows, capacity * 2, 4);
    const grow = (old: Float32Array) => {
      const next = new Float32Array(grown * this.slotSize);
      next.set(old);
      return next;
    };
    this.slabKeys = this.slabKeys.map(grow);
    this.slabValues = this.slabValues.map(grow);
  }

  private writeSlot(q: number, image: ImageRef): void {
    const { keys, values } = image.states;
    const dims = keys[0]?.dims;
    if (dims !== undefined && this.crossDims !== undefined && (dims[1] !== this.crossDims[0] || dims[2] !== this.crossDims[1] || dims[3] !== this.crossDims[2])) {
      throw new VedError(
        'INVALID_INPUT',
        `Rows of one batch must attend to the same number of image positions: a new image has cross keys [${dims.join(', ')}], the batch holds [rows, ${this.crossDims.join(', ')}].`,
      );
    }
    const size = this.slotSize;
    for (let i = 0; i < this.layout.layers; i++) {
      this.slabKeys[i]!.set((keys[i]!.data as Float32Array).subarray(image.index * size, (image.index + 1) * size), q * size);
      this.slabValues[i]!.set((values[i]!.data as Float32Array).subarray(image.index * size, (image.index + 1) * size), q * size);
    }
    this.slotImage[q] = image;
  }

  async step(tokens: readonly number[], options: { logProbs?: boolean } = {}): Promise<StepLogits> {
    const n = this.physical.length;
    if (this.disposed) throw new VedError('INVALID_INPUT', 'The row batch session was disposed.');
    if (n === 0) throw new VedError('INVALID_INPUT', 'step() on a row batch without rows: arrange() rows first.');
    if (tokens.length !== n) throw new VedError('INVALID_INPUT', `step() got ${tokens.length} tokens, expected one per row (${n}).`);
    const { layers, heads, headDim } = this.layout;
    const total = this.width + 1;
    const ids = new BigInt64Array(n);
    const mask = new BigInt64Array(n * total);
    const pastLengths = new BigInt64Array(n);
    const cacheIndex = new BigInt64Array(n);
    for (let r = 0; r < n; r++) {
      const q = this.logical[r]!;
      const t = tokens[r]!;
      if (!Number.isInteger(t) || t < 0) throw new VedError('INVALID_INPUT', `step(): token ${t} of row ${r} is not a token id.`);
      if (this.limits !== undefined && !isTokenId(t, this.limits.vocabSize)) throw tokenOutOfRange(`step(): the token of row ${r}`, t, this.limits.vocabSize, this.limits.where);
      ids[q] = BigInt(t);
    }
    const max = this.limits?.maxPositions;
    if (max !== undefined) {
      const longest = Math.max(...this.physical.map((row) => this.width - row.pad + 1));
      if (longest > max) {
        throw sequenceTooLong(longest, max, `${this.limits!.where}: a row of the batch`, 'Finish rows before they reach the table (max_new_tokens / max_length).');
      }
    }
    for (let q = 0; q < n; q++) {
      const { pad } = this.physical[q]!;
      mask.fill(1n, q * total + pad, (q + 1) * total);
      pastLengths[q] = BigInt(this.width - pad);
      // A new row reads some row of the cache (all of it masked); without a cache, its own empty row.
      // Without an arrange() since the last step, every row continues itself.
      const from = this.cacheIndex.length > 0 ? this.cacheIndex[q]! : q;
      cacheIndex[q] = BigInt(this.width === 0 ? q : from < 0 ? 0 : from);
    }
    if (this.width === 0) {
      const empty = () => this.runtime.tensor('float32', new Float32Array(0), [n, heads, 0, headDim]);
      this.keys = Array.from({ length: layers }, empty);
      this.values = Array.from({ length: layers }, empty);
    }
    const [crossHeads, positions, crossDim] = this.crossDims ?? [heads, 0, headDim];
    const feeds: Record<string, Tensor> = {
      input_ids: this.runtime.tensor('int64', ids, [n, 1]),
      attention_mask: this.runtime.tensor('int64', mask, [n, total]),
      [CACHE_INDEX]: this.runtime.tensor('int64', cacheIndex, [n]),
      [PAST_LENGTHS]: this.runtime.tensor('int64', pastLengths, [n]),
    };
    // The slots' tensors change only when the rows' count or the buffers do.
    if (this.crossFeeds?.rows !== n || this.crossFeeds.buffer !== this.slabKeys[0]) {
      const view = (slab: Float32Array) => this.runtime.tensor('float32', slab.subarray(0, n * this.slotSize), [n, crossHeads, positions, crossDim]);
      this.crossFeeds = { rows: n, buffer: this.slabKeys[0], keys: this.slabKeys.map(view), values: this.slabValues.map(view) };
    }
    for (let i = 0; i < layers; i++) {
      feeds[pastKeyName(i)] = this.keys[i]!;
      feeds[pastValueName(i)] = this.values[i]!;
      feeds[crossKeyName(i)] = this.crossFeeds.keys[i]!;
      feeds[crossValueName(i)] = this.crossFeeds.values[i]!;
    }
    const fetches = ['logits', ...(options.logProbs ? [LOG_PROBS] : [])];
    for (let i = 0; i < layers; i++) fetches.push(presentKeyName(i), presentValueName(i));
    const out = await this.session.run(feeds, fetches);
    for (let i = 0; i < layers; i++) {
      this.keys[i] = out[presentKeyName(i)]!;
      this.values[i] = out[presentValueName(i)]!;
    }
    this.width = total;
    this.cacheIndex = [];
    this.trim();
    const logits = out.logits!;
    const vocab = logits.dims[2]!;
    const inOrder = (physical: Float32Array) => {
      if (this.logical.every((q, r) => q === r)) return physical;
      const data = new Float32Array(n * vocab);
      this.logical.forEach((q, r) => data.set(physical.subarray(q * vocab, (q + 1) * vocab), r * vocab));
      return data;
    };
    const logProbs = out[LOG_PROBS]?.data as Float32Array | undefined;
    return { data: inOrder(logits.data as Float32Array), rows: n, positions: 1, vocab, ...(logProbs ? { logProbs: inOrder(logProbs) } : {}) };
  }

  /** Cuts the cache positions every row has masked, once they are many (a copy of the cache). */
  private trim(): void {
    const cut = Math.min(...this.physical.map((row) => row.pad));
    if (cut < this.trimAt || cut * 4 < this.width) return;
    const keep = this.width - cut;
    const slice = (t: Tensor) => {
      const [b, h, p, d] = t.dims as [number, number, number, number];
      const src = t.data as Float32Array;
      const out = new Float32Array(b * h * keep * d);
      for (let bh = 0; bh < b * h; bh++) out.set(src.subarray((bh * p + cut) * d, (bh * p + p) * d), bh * keep * d);
      return this.runtime.tensor('float32', out, [b, h, keep, d]);
    };
    this.keys = this.keys.map(slice);
    this.values = this.values.map(slice);
    this.physical.forEach((row) => (row.pad -= cut));
    this.width = keep;
  }

  dispose(): void {
    this.reset();
    this.disposed = true;
  }
}
