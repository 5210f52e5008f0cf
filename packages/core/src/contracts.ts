/**
 * The contracts an architecture package implements. The composed model knows
 * only these: an encoder turns `pixel_values` into hidden states; a decoder
 * builds its cross-attention keys/values from them and a step graph with a
 * self-attention cache.
 */
import type { RawConfig } from './config/config-reader.js';
import type { BuildContext } from './nn/context.js';
import type { WeightSpec } from './weights/weight-binder.js';

export interface EncoderBuildOptions {
  /** Interpolate position embeddings for images whose size differs from the config. */
  interpolatePosEncoding?: boolean;
}

export interface EncoderPlugin<C = unknown> {
  readonly modelType: string;
  /** Reads the encoder's config with Python's defaults (fails on fields ved cannot honour). */
  parseConfig(raw: RawConfig, where: string): C;
  /** Width of the hidden states the decoder attends to. */
  hiddenSize(config: C): number;
  /** The `[height, width]` the encoder expects, when fixed by the config. */
  imageSize(config: C): [number, number];
  numChannels(config: C): number;
  /**
   * Regexes of checkpoint names that are not weights ved reads yet not unexpected either: Python's
   * `_keys_to_ignore_on_load_unexpected`, and buffers the Python model persists (ved recomputes them).
   */
  readonly unexpectedKeysToIgnore?: readonly string[];
  /** Every weight of the encoder, relative to its root (e.g. `embeddings.cls_token`). */
  weights(config: C): WeightSpec[];
  /** Builds `pixel_values` [B, C, H, W] → last hidden state [B, N, hidden]. */
  buildGraph(ctx: BuildContext, config: C, pixelValues: string, options: EncoderBuildOptions): string;
}

export interface CacheLayout {
  layers: number;
  heads: number;
  headDim: number;
}

export interface DecoderStepIO {
  /** int64 [B, T]: the new tokens. */
  inputIds: string;
  /** int64 scalar: the number of cached positions P. */
  pastLength: string;
  /** int64 scalar: T. */
  queryLength: string;
  /** Per layer, [B, heads, P, headDim]. */
  pastKeys: string[];
  pastValues: string[];
  /** Per layer, [B, heads, N, headDim] (from `buildCrossKeyValues`). */
  crossKeys: string[];
  crossValues: string[];
  /** Optional int64 [B, P+T] padding mask (1 = attend). */
  attentionMask?: string;
}

export interface DecoderStepOutputs {
  /** [B, T, vocab]. */
  logits: string;
  /** Per layer, [B, heads, P+T, headDim]. */
  presentKeys: string[];
  presentValues: string[];
}

export interface DecoderPlugin<C = unknown> {
  readonly modelType: string;
  parseConfig(raw: RawConfig, where: string): C;
  hiddenSize(config: C): number;
  vocabSize(config: C): number;
  /** Width the cross-attention keys/values are projected from (`cross_attention_hidden_size`), if it is not `hiddenSize`. */
  crossAttentionInputSize?(config: C): number | undefined;
  cacheLayout(config: C): CacheLayout;
  /**
   * How many tokens the decoder can embed, from its position table (`n_positions`,
   * `max_position_embeddings` less any offset or padding rows); undefined when any
   * length works (sinusoidal positions computed on the fly). Tokens past it would
   * index outside the table, where Python's embedding raises an IndexError.
   */
  maxPositions?(config: C): number | undefined;
  /**
   * Prefix the base model's weights carry inside the causal LM (`transformer.` for GPT-2,
   * `bert.` for BERT): a base-model checkpoint (e.g. `GPT2Model`, `BertModel`) stores them
   * without it, and `fromEncoderDecoderPretrained` adds it, as Python does.
   */
  basePrefix?: string;
  /** Python's `_keys_to_ignore_on_load_unexpected` (plus `(^|\\.)position_ids$` for models with that buffer). */
  readonly unexpectedKeysToIgnore?: readonly string[];
  /** Output weights tied to input weights (head name → embedding name), absent from checkpoints when tied. */
  tiedWeights?(config: C): Record<string, string>;
  /** Every weight of the causal LM, relative to its root (e.g. `transformer.wte.weight`). */
  weights(config: C): WeightSpec[];
  /** Per layer cross-attention keys/values [B, heads, N, headDim] from encoder states [B, N, width]. */
  buildCrossKeyValues(ctx: BuildContext, config: C, encoderHidden: string): Array<{ key: string; value: string }>;
  /** The decoder step: new tokens + caches → logits and updated caches. */
  buildStep(ctx: BuildContext, config: C, io: DecoderStepIO): DecoderStepOutputs;
}
