/**
 * `DeiTConfig` fields the encoder uses, with the defaults of transformers'
 * `configuration_deit.py`.
 */
import { ACTIVATIONS, ConfigReader, VedError, dropoutRate, type RawConfig } from '@ved/core';

export interface DeiTConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  layerNormEps: number;
  imageSize: [number, number];
  patchSize: [number, number];
  numChannels: number;
  qkvBias: boolean;
  initializerRange: number;
  /** `pooler_output_size` (None means `hidden_size`): width of the unused pooler. */
  poolerOutputSize: number;
  /** Train-mode dropout (transformers' defaults 0): after the embeddings and each sublayer, and on the attention probabilities. */
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
}

export function parseDeiTConfig(raw: RawConfig, where: string): DeiTConfig {
  const r = new ConfigReader(raw, where);
  const hiddenSize = r.int('hidden_size', 768, 1);
  const config: DeiTConfig = {
    hiddenSize,
    numHiddenLayers: r.int('num_hidden_layers', 12, 0),
    numAttentionHeads: r.int('num_attention_heads', 12, 1),
    intermediateSize: r.int('intermediate_size', 3072, 1),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    layerNormEps: r.float('layer_norm_eps', 1e-12),
    imageSize: r.intPair('image_size', [224, 224]),
    patchSize: r.intPair('patch_size', [16, 16]),
    numChannels: r.int('num_channels', 3, 1),
    qkvBias: r.bool('qkv_bias', true),
    initializerRange: r.float('initializer_range', 0.02),
    poolerOutputSize: r.int('pooler_output_size', hiddenSize, 1),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', 0),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', 0),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: "hidden_size" (${config.hiddenSize}) must be a multiple of "num_attention_heads" (${config.numAttentionHeads}).`,
    );
  }
  const [ih, iw] = config.imageSize;
  const [ph, pw] = config.patchSize;
  if (ih < ph || iw < pw) {
    throw new VedError('INVALID_CONFIG', `${where}: "image_size" [${ih}, ${iw}] is smaller than "patch_size" [${ph}, ${pw}]; there would be no patches.`);
  }
  return config;
}
