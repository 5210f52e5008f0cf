/**
 * `Dinov2Config` fields the encoder uses, with the defaults of transformers'
 * `models/dinov2/configuration_dinov2.py` (5.18). The backbone fields
 * (`out_features`, `apply_layernorm`, `reshape_hidden_states`) concern
 * `Dinov2Backbone` only and are not read.
 */
import { ACTIVATIONS, ConfigReader, VedError, dropoutRate, type RawConfig } from '@ved/core';

export interface Dinov2Config {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** `mlp_ratio`: the MLP width is `int(hidden_size * mlp_ratio)` (the config has no `intermediate_size`). */
  mlpRatio: number;
  hiddenAct: string;
  layerNormEps: number;
  imageSize: [number, number];
  patchSize: [number, number];
  numChannels: number;
  qkvBias: boolean;
  /** Initial value of the layer-scale vectors `lambda1`. */
  layerscaleValue: number;
  useSwigluFfn: boolean;
  /** `use_mask_token`: the checkpoint holds `embeddings.mask_token` (unused without `bool_masked_pos`). */
  useMaskToken: boolean;
  initializerRange: number;
  /** Train mode: dropout after the embeddings, on the attention probabilities, and stochastic depth per branch. */
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  dropPathRate: number;
}

export function parseDinov2Config(raw: RawConfig, where: string): Dinov2Config {
  const r = new ConfigReader(raw, where);
  const config: Dinov2Config = {
    hiddenSize: r.int('hidden_size', 768, 1),
    numHiddenLayers: r.int('num_hidden_layers', 12, 0),
    numAttentionHeads: r.int('num_attention_heads', 12, 1),
    mlpRatio: r.float('mlp_ratio', 4),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    layerNormEps: r.float('layer_norm_eps', 1e-6),
    imageSize: r.intPair('image_size', [224, 224]),
    patchSize: r.intPair('patch_size', [14, 14]),
    numChannels: r.int('num_channels', 3, 1),
    qkvBias: r.bool('qkv_bias', true),
    layerscaleValue: r.float('layerscale_value', 1),
    useSwigluFfn: r.bool('use_swiglu_ffn', false),
    useMaskToken: r.bool('use_mask_token', true),
    initializerRange: r.float('initializer_range', 0.02),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', 0),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', 0),
    dropPathRate: dropoutRate(r, 'drop_path_rate', 0),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: "hidden_size" (${config.hiddenSize}) must be a multiple of "num_attention_heads" (${config.numAttentionHeads}).`,
    );
  }
  if (!(config.mlpRatio > 0) || mlpHiddenSize(config) < 1) {
    throw new VedError('INVALID_CONFIG', `${where}: "mlp_ratio" is ${config.mlpRatio}; int(hidden_size * mlp_ratio) must be at least 1.`);
  }
  return config;
}

/** Width of the MLP: `Dinov2MLP`'s `int(hidden_size * mlp_ratio)`, or `Dinov2SwiGLUFFN`'s two thirds of it rounded up to a multiple of 8. */
export function mlpHiddenSize(c: Pick<Dinov2Config, 'hiddenSize' | 'mlpRatio' | 'useSwigluFfn'>): number {
  const features = Math.trunc(c.hiddenSize * c.mlpRatio);
  return c.useSwigluFfn ? Math.floor((Math.trunc((features * 2) / 3) + 7) / 8) * 8 : features;
}
