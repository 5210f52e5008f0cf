/**
 * `ElectraConfig` fields the decoder uses, with the defaults of transformers'
 * `models/electra/configuration_electra.py` (5.18). The `summary_*` and
 * `classifier_dropout` fields belong to the classification heads, not to
 * `ElectraForCausalLM`, and are not read.
 */
import { ACTIVATIONS, ConfigReader, VedError, dropoutRate, type RawConfig } from '@ved/core';

export interface ElectraConfig {
  vocabSize: number;
  /** Width of the embeddings (and of the generator head); `embeddings_project` maps it to `hidden_size` when they differ. */
  embeddingSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  /** `padding_idx` of the word embeddings (its row is zero at initialisation). */
  padTokenId: number | undefined;
  isDecoder: boolean;
  addCrossAttention: boolean;
  tieWordEmbeddings: boolean;
  /** Train-mode dropout (defaults 0.1): after the embeddings and each dense output, and on the attention probabilities. */
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
}

export function parseElectraConfig(raw: RawConfig, where: string): ElectraConfig {
  const r = new ConfigReader(raw, where);
  const config: ElectraConfig = {
    vocabSize: r.int('vocab_size', 30522, 1),
    embeddingSize: r.int('embedding_size', 128, 1),
    hiddenSize: r.int('hidden_size', 256, 1),
    numHiddenLayers: r.int('num_hidden_layers', 12, 0),
    numAttentionHeads: r.int('num_attention_heads', 4, 1),
    intermediateSize: r.int('intermediate_size', 1024, 1),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    maxPositionEmbeddings: r.int('max_position_embeddings', 512, 1),
    typeVocabSize: r.int('type_vocab_size', 2, 1),
    initializerRange: r.float('initializer_range', 0.02),
    layerNormEps: r.float('layer_norm_eps', 1e-12),
    // ElectraConfig's default is 0; an explicit null means no padding_idx.
    padTokenId: raw.pad_token_id === null ? undefined : r.int('pad_token_id', 0, 0),
    isDecoder: r.bool('is_decoder', false),
    addCrossAttention: r.bool('add_cross_attention', false),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', 0.1),
  };
  // ElectraSelfAttention skips its own divisibility check because the config has `embedding_size`, but
  // its output (heads * int(hidden / heads) wide) then fails the `hidden_size`-wide output dense.
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: "hidden_size" (${config.hiddenSize}) must be a multiple of "num_attention_heads" (${config.numAttentionHeads}).`,
    );
  }
  if (config.padTokenId !== undefined && config.padTokenId >= config.vocabSize) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: "pad_token_id" (${config.padTokenId}) must be below "vocab_size" (${config.vocabSize}) (it is the word embeddings' padding_idx).`,
    );
  }
  return config;
}
