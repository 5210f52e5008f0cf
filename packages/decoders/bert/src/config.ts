/**
 * `BertConfig` fields the decoder uses, with the defaults of transformers'
 * `configuration_bert.py` (5.18). `position_embedding_type` no longer exists
 * in 5.18 (positions are always absolute), so it is not read.
 */
import { ConfigReader, VedError, dropoutRate, type BertFamilyConfig, type RawConfig } from '@ved/core';

/** The fields of core's BERT-family builder (`BertFamilyConfig`). */
export type BertConfig = BertFamilyConfig;

export function parseBertConfig(raw: RawConfig, where: string): BertConfig {
  const r = new ConfigReader(raw, where);
  const config: BertConfig = {
    vocabSize: r.int('vocab_size', 30522, 1),
    hiddenSize: r.int('hidden_size', 768, 1),
    numHiddenLayers: r.int('num_hidden_layers', 12, 0),
    numAttentionHeads: r.int('num_attention_heads', 12, 1),
    intermediateSize: r.int('intermediate_size', 3072, 1),
    hiddenAct: r.string('hidden_act', 'gelu'),
    maxPositionEmbeddings: r.int('max_position_embeddings', 512, 1),
    typeVocabSize: r.int('type_vocab_size', 2, 1),
    initializerRange: r.float('initializer_range', 0.02),
    layerNormEps: r.float('layer_norm_eps', 1e-12),
    // BertConfig's default is 0; an explicit null means no padding_idx.
    padTokenId: raw.pad_token_id === null ? undefined : r.int('pad_token_id', 0, 0),
    isDecoder: r.bool('is_decoder', false),
    addCrossAttention: r.bool('add_cross_attention', false),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', 0.1),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: "hidden_size" (${config.hiddenSize}) must be a multiple of "num_attention_heads" (${config.numAttentionHeads}).`,
    );
  }
  return config;
}
