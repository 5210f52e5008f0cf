/**
 * `GPT2Config` fields the decoder uses, with the defaults of transformers'
 * `configuration_gpt2.py`.
 */
import { ACTIVATIONS, ConfigReader, VedError, dropoutRate, type RawConfig } from '@ved/core';

export interface GPT2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nInner: number;
  activationFunction: string;
  layerNormEpsilon: number;
  initializerRange: number;
  scaleAttnWeights: boolean;
  scaleAttnByInverseLayerIdx: boolean;
  addCrossAttention: boolean;
  tieWordEmbeddings: boolean;
  /** Train-mode dropout (defaults 0.1): embeddings, attention probabilities, each residual branch. */
  embdPdrop: number;
  attnPdrop: number;
  residPdrop: number;
}

export function parseGPT2Config(raw: RawConfig, where: string): GPT2Config {
  const r = new ConfigReader(raw, where);
  const nEmbd = r.int('n_embd', 768, 1);
  const config: GPT2Config = {
    vocabSize: r.int('vocab_size', 50257, 1),
    nPositions: r.int('n_positions', 1024, 1),
    nEmbd,
    nLayer: r.int('n_layer', 12, 0),
    nHead: r.int('n_head', 12, 1),
    nInner: r.int('n_inner', 4 * nEmbd, 1),
    activationFunction: r.oneOf('activation_function', 'gelu_new', ACTIVATIONS),
    layerNormEpsilon: r.float('layer_norm_epsilon', 1e-5),
    initializerRange: r.float('initializer_range', 0.02),
    scaleAttnWeights: r.bool('scale_attn_weights', true),
    scaleAttnByInverseLayerIdx: r.bool('scale_attn_by_inverse_layer_idx', false),
    addCrossAttention: r.bool('add_cross_attention', false),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    embdPdrop: dropoutRate(r, 'embd_pdrop', 0.1),
    attnPdrop: dropoutRate(r, 'attn_pdrop', 0.1),
    residPdrop: dropoutRate(r, 'resid_pdrop', 0.1),
  };
  if (nEmbd % config.nHead !== 0) {
    throw new VedError('INVALID_CONFIG', `${where}: "n_embd" (${nEmbd}) must be a multiple of "n_head" (${config.nHead}).`);
  }
  return config;
}
