/**
 * The model interface that generation strategies drive. Nothing in it is
 * model-specific: encode a batch of images once, then feed tokens row by row
 * while the model keeps its own cache.
 */
export interface PixelBatch {
  data: Float32Array;
  /** [batch, channels, height, width] */
  dims: [number, number, number, number];
}

/** Encoded images: opaque to generation. */
export interface EncodedImages {
  readonly batchSize: number;
}

/** One step's scores. The arrays are the caller's: a session never reads or reuses them after returning them (generation writes processed scores into them). */
export interface StepLogits {
  /** Row-major [rows, positions, vocab]. */
  data: Float32Array;
  rows: number;
  positions: number;
  vocab: number;
  /** log_softmax of `data` over the vocabulary, same layout: when asked for with `logProbs` and the model computes it. */
  logProbs?: Float32Array;
}

export interface StepOptions {
  /** Logits of every new position, not only the last. */
  allPositions?: boolean;
  /** Padding mask of the new tokens (1 = attend); default all ones. */
  attentionMask?: readonly (readonly number[])[];
  /**
   * Also return log_softmax(logits) when the model can compute it with the
   * logits (ved's own step graph does, in float32 as torch does); beam search
   * asks for it, and computes it itself when it is missing.
   */
  logProbs?: boolean;
}

export interface DecodingSession {
  readonly rows: number;
  /** Number of tokens cached so far. */
  readonly length: number;
  /**
   * Feeds the next tokens of every row (all rows the same count) and returns
   * logits for the last position only, or for every new position when `allPositions`.
   */
  step(tokens: readonly (readonly number[])[], options?: StepOptions): Promise<StepLogits>;
  /** Keeps rows `indices` (in that order) of the cache, e.g. the parents of beams. */
  reorder(indices: readonly number[]): void;
  dispose(): void;
}

/**
 * Where a row of the next step of a `RowBatchSession` comes from: a row of the
 * current step (its cache continues; listing a row twice follows two beams from
 * one parent), or a new row for image `image` of `encoded`, with an empty cache.
 */
export type RowSource = number | { readonly encoded: EncodedImages; readonly image: number };

/**
 * Decoding whose rows change between steps (continuous batching): rows join
 * with an empty cache, leave, or follow beams, and rows holding different
 * numbers of tokens share every step. Each row feeds one token per step.
 */
export interface RowBatchSession {
  readonly rows: number;
  /** Sets the rows of the next step, in order (an empty list releases every row). */
  arrange(sources: readonly RowSource[]): void;
  /** Feeds one token per row; returns the logits [rows, 1, vocab] (and log-probabilities when asked). */
  step(tokens: readonly number[], options?: Pick<StepOptions, 'logProbs'>): Promise<StepLogits>;
  dispose(): void;
}

export interface EncodeOptions {
  /** Accept images whose size differs from the config, interpolating position embeddings (ViT, DeiT, BEiT). */
  interpolatePosEncoding?: boolean;
}

export interface EncoderDecoderLM {
  readonly vocabSize: number;
  /** Tokens the decoder's position table can embed; undefined when unknown or unlimited. */
  readonly maxPositions?: number | undefined;
  /** The encoder's `model_type` (its plugin's `prompt` rule decides how given decoder prompts start). */
  readonly encoderModelType: string;
  /** The decoder's `model_type`, whose plugin's `prompt` rule wins over the encoder's. */
  readonly decoderModelType?: string;
  encode(pixelValues: PixelBatch, options?: EncodeOptions): Promise<EncodedImages>;
  /** Starts decoding; row `r` attends to image `rowToImage[r]`. */
  startDecoding(encoded: EncodedImages, rowToImage: readonly number[]): DecodingSession;
  /**
   * A session whose rows can have different lengths in one step, when the
   * model's step graph takes a position per row; undefined when it cannot
   * (then rows of one step must share their length).
   */
  startRowBatch?(): RowBatchSession | undefined;
}
