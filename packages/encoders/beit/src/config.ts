/**
 * `BeitConfig` fields the encoder uses, with the defaults of transformers'
 * `configuration_beit.py`. Fields of the segmentation / backbone heads
 * (`use_auxiliary_head`, `pool_scales`, `out_indices`, `add_fpn`, ...) do not
 * touch `BeitModel` and are ignored, as Python ignores them there.
 */
import { ACTIVATIONS, ConfigReader, VedError, dropoutRate, type RawConfig } from '@ved/core';

export interface BeitConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  layerNormEps: number;
  imageSize: [number, number];
  patchSize: [number, number];
  numChannels: number;
  initializerRange: number;
  useMaskToken: boolean;
  useAbsolutePositionEmbeddings: boolean;
  useRelativePositionBias: boolean;
  useSharedRelativePositionBias: boolean;
  /** Layer scale (`lambda_1`, `lambda_2`) exists only when > 0. */
  layerScaleInitValue: number;
  /** True: no final layer norm (the pooler normalises the mean instead), so the last hidden state is not normalised. */
  useMeanPooling: boolean;
  /** Train-mode dropout (transformers' defaults 0): after the embeddings and each sublayer, and on the attention probabilities. */
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  /** Stochastic depth: layer i drops its residual branches with `drop_path_rate * i / max(layers - 1, 1)` (default 0.1). */
  dropPathRate: number;
}

/** The patch grid `[height, width]` of the config's image size. */
export function patchGrid(c: BeitConfig): [number, number] {
  return [Math.floor(c.imageSize[0] / c.patchSize[0]), Math.floor(c.imageSize[1] / c.patchSize[1])];
}

export function parseBeitConfig(raw: RawConfig, where: string): BeitConfig {
  const r = new ConfigReader(raw, where);
  const config: BeitConfig = {
    hiddenSize: r.int('hidden_size', 768, 1),
    numHiddenLayers: r.int('num_hidden_layers', 12, 0),
    numAttentionHeads: r.int('num_attention_heads', 12, 1),
    intermediateSize: r.int('intermediate_size', 3072, 1),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    layerNormEps: r.float('layer_norm_eps', 1e-12),
    imageSize: r.intPair('image_size', [224, 224]),
    patchSize: r.intPair('patch_size', [16, 16]),
    numChannels: r.int('num_channels', 3, 1),
    initializerRange: r.float('initializer_range', 0.02),
    useMaskToken: r.bool('use_mask_token', false),
    useAbsolutePositionEmbeddings: r.bool('use_absolute_position_embeddings', false),
    useRelativePositionBias: r.bool('use_relative_position_bias', false),
    useSharedRelativePositionBias: r.bool('use_shared_relative_position_bias', false),
    layerScaleInitValue: r.float('layer_scale_init_value', 0.1),
    useMeanPooling: r.bool('use_mean_pooling', true),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', 0),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', 0),
    dropPathRate: dropoutRate(r, 'drop_path_rate', 0.1),
  };
  const fail = (msg: string): never => {
    throw new VedError('INVALID_CONFIG', `${where}: ${msg}`);
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    fail(`"hidden_size" (${config.hiddenSize}) must be a multiple of "num_attention_heads" (${config.numAttentionHeads}).`);
  }
  const [gh, gw] = patchGrid(config);
  if (gh < 1 || gw < 1) {
    fail(`"image_size" [${config.imageSize.join(', ')}] is smaller than "patch_size" [${config.patchSize.join(', ')}]; there would be no patches.`);
  }
  if (config.useAbsolutePositionEmbeddings && config.imageSize[0] !== config.imageSize[1]) {
    // BeitEmbeddings.interpolate_pos_encoding runs for every non-square input and views the
    // position embeddings as a sqrt(N) x sqrt(N) grid, which fails unless N is a square.
    const side = Math.floor(Math.sqrt(gh * gw));
    if (side * side !== gh * gw) {
      fail(
        `field "use_absolute_position_embeddings" is true with the non-square "image_size" [${config.imageSize.join(', ')}] ` +
          `(a ${gh}x${gw} patch grid); transformers resizes the position embeddings as a square grid for non-square ` +
          `images and fails on ${gh * gw} positions, so ved cannot reproduce it.`,
      );
    }
  }
  return config;
}
