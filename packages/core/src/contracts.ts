/**
 * The contracts an architecture package implements. The composed model knows
 * only these: an encoder turns `pixel_values` into hidden states; a decoder
 * builds its cross-attention keys/values from them and a step graph with a
 * self-attention cache.
 */
import type { RawConfig } from './config/config-reader.js';
import type { CrossGroups } from './nn/attention.js';
import type { BuildContext } from './nn/context.js';
import type { WeightSpec } from './weights/weight-binder.js';

/**
 * An image-processor class an architecture brings: what transformers' `XImageProcessor`
 * (its PIL backend, `XImageProcessorPil`) does when `preprocessor_config.json` omits a key.
 * Registering a plugin that lists it makes `ImageProcessor.fromJson` accept
 * `"image_processor_type": "<name>"` (also `<name>Fast`, `<name>Pil`, and the legacy
 * `"feature_extractor_type": "<Prefix>FeatureExtractor"`).
 */
export interface ImageProcessorDefinition {
  /** Python's class name without a `Fast` / `Pil` suffix, e.g. `ViTImageProcessor`. */
  readonly name: string;
  /**
   * The class attributes of the Python class, snake_case as in the JSON (`size`, `resample`,
   * `image_mean`, `do_center_crop`, …): a key the file omits takes this value, a key it sets to
   * `null` stays None (off), as `ImageProcessingMixin.__init__` does. `BaseImageProcessor`'s own
   * defaults (`default_to_square: true`, `rescale_factor: 1/255`) apply underneath.
   */
  readonly defaults: Readonly<Record<string, unknown>>;
  /**
   * The steps the class runs: `'standard'` (default: convert → resize → center crop → rescale →
   * normalize, `PilBackend._preprocess`) or `'donut'` (`DonutImageProcessorPil._preprocess`: align
   * the long axis, resize the shortest edge, thumbnail, pad; a list `size` is read as
   * `[width, height]`, and `do_align_long_axis` / `do_thumbnail` / `do_pad` are read) or `'nougat'`
   * (`NougatImageProcessorPil._preprocess`: `do_crop_margin` first, then Donut's steps with a BICUBIC
   * thumbnail at `reducing_gap=2.0`, no center crop).
   */
  readonly pipeline?: 'standard' | 'donut' | 'nougat';
}

/**
 * How `generate()` turns caller-given `decoderInputIds` into the decoder prompt
 * (transformers' `GenerationMixin._prepare_decoder_input_ids_for_generation`).
 */
export interface PromptBehaviour {
  /**
   * `'when-missing'` (transformers' default): `decoder_start_token_id` is prepended unless a
   * row already starts with it (Python's `.all()` test over the batch). `'never'`: the rows are
   * the prompt as given, because a task token stands in for the start token (Donut's
   * `<s_cord-v2>`, `<s_docvqa>`…; Python skips prepending for every encoder whose `model_type`
   * contains `donut`).
   */
  readonly prependStartToken: 'when-missing' | 'never';
}

export interface EncoderBuildOptions {
  /** Interpolate position embeddings for images whose size differs from the config. */
  interpolatePosEncoding?: boolean;
}

/** A saved buffer that is not a weight (see `EncoderPlugin.persistentBuffers`). */
export interface PersistentBuffer {
  readonly name: string;
  readonly dtype: 'I64';
  readonly shape: readonly number[];
  readonly data: BigInt64Array;
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
  /**
   * The buffers the Python model saves with its weights that are not weights (DonutSwin's int64
   * `relative_position_index` tables), relative to the encoder's root: a save writes them as Python's
   * does, so that Python loads it without reporting them missing.
   */
  persistentBuffers?(config: C): PersistentBuffer[];
  /** Every weight of the encoder, relative to its root (e.g. `embeddings.cls_token`). */
  weights(config: C): WeightSpec[];
  /** Builds `pixel_values` [B, C, H, W] → last hidden state [B, N, hidden]. */
  buildGraph(ctx: BuildContext, config: C, pixelValues: string, options: EncoderBuildOptions): string;
  /**
   * The image-processor classes this architecture's checkpoints use, with their Python defaults;
   * registered with the plugin, so core names no processor class itself. Listing a class another
   * package also lists is harmless when both definitions are equal (a different one under a taken
   * name throws `DUPLICATE_REGISTRATION`).
   */
  readonly imageProcessors?: readonly ImageProcessorDefinition[];
  /**
   * The processor class transformers' `IMAGE_PROCESSOR_MAPPING_NAMES` gives this `model_type`
   * (e.g. `ViTImageProcessor` for `swin`): the class `preprocessor_config.json` implies when it
   * names none. Must be one of the registered processor classes.
   */
  readonly defaultImageProcessor?: string;
  /**
   * How given `decoderInputIds` become the prompt when this encoder feeds the decoder; omitted,
   * Python's rule (`'never'` when the `model_type` contains `donut`, else `'when-missing'`).
   */
  readonly prompt?: PromptBehaviour;
  /**
   * The Python model interpolates its position embeddings for every input size, with no
   * `interpolate_pos_encoding` switch (DINOv2's `Dinov2Embeddings.interpolate_pos_encoding` runs on
   * every forward): images of any size are then accepted as if `interpolatePosEncoding` were set.
   * `buildGraph` must give the config's size the same result with and without the option.
   */
  readonly interpolatesAlways?: boolean;
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
  /** Per layer, [B, heads, N, headDim] (from `buildCrossKeyValues`), or [G, …] with `crossGroups`. */
  crossKeys: string[];
  crossValues: string[];
  /**
   * Set in ved's decoder step graph: hand it to `crossAttention` (from `@ved/core`) and the beams
   * of one image share its cross keys/values. A decoder that attends to `crossKeys` its own way
   * ignores it and gets one key row per row, as before.
   */
  crossGroups?: CrossGroups;
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
  /**
   * How given `decoderInputIds` become the prompt with this decoder; it wins over the encoder's
   * `prompt` when both declare one. Language and task tokens that transformers forces through the
   * generation config (mBART's `decoder_start_token_id` / `forced_bos_token_id` language code)
   * need no declaration: `generate()` reads them from the config for every decoder.
   */
  readonly prompt?: PromptBehaviour;
}
