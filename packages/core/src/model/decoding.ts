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

export interface EncodeOptions {
  /** Accept images whose size differs from the config, interpolating position embeddings (ViT, DeiT, BEiT). */
  interpolatePosEncoding?: boolean;
}

export interface EncoderDecoderLM {
  readonly vocabSize: number;
  /** The encoder's `model_type` (generation treats Donut encoders' task prompts specially). */
  readonly encoderModelType: string;
  encode(pixelValues: PixelBatch, options?: EncodeOptions): Promise<EncodedImages>;
  /** Starts decoding; row `r` attends to image `rowToImage[r]`. */
  startDecoding(encoded: EncodedImages, rowToImage: readonly number[]): DecodingSession;
}
