/**
 * `TrOCRConfig` fields the decoder uses, with the defaults of transformers'
 * `configuration_trocr.py` (5.18).
 */
import { ACTIVATIONS, ConfigReader, VedError, dropoutRate, type RawConfig } from '@ved/core';

export interface TrOCRConfig {
  vocabSize: number;
  dModel: number;
  decoderLayers: number;
  decoderAttentionHeads: number;
  decoderFfnDim: number;
  activationFunction: string;
  maxPositionEmbeddings: number;
  initStd: number;
  scaleEmbedding: boolean;
  /** Learned table (offset 2) or sinusoidal, padding-aware positions. */
  useLearnedPositionEmbeddings: boolean;
  layernormEmbedding: boolean;
  /** `padding_idx` of `embed_tokens`, and the first sinusoidal position. */
  padTokenId: number;
  /** Width the cross-attention keys/values are projected from (the encoder's), when set. */
  crossAttentionHiddenSize: number | undefined;
  tieWordEmbeddings: boolean;
  /** Train-mode dropout: `dropout` (0.1) after the embeddings and each sublayer, `attention_dropout` and `activation_dropout` (0), and LayerDrop `decoder_layerdrop` (0). */
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
  decoderLayerdrop: number;
}

export function parseTrOCRConfig(raw: RawConfig, where: string): TrOCRConfig {
  const r = new ConfigReader(raw, where);
  const config: TrOCRConfig = {
    vocabSize: r.int('vocab_size', 50265, 1),
    // `hidden_size` is an alias of d_model (attribute_map).
    dModel: r.int('d_model', r.int('hidden_size', 1024, 1), 1),
    decoderLayers: r.int('decoder_layers', 12, 0),
    decoderAttentionHeads: r.int('decoder_attention_heads', 16, 1),
    decoderFfnDim: r.int('decoder_ffn_dim', 4096, 1),
    activationFunction: r.oneOf('activation_function', 'gelu', ACTIVATIONS),
    maxPositionEmbeddings: r.int('max_position_embeddings', 512, 1),
    initStd: r.float('init_std', 0.02),
    scaleEmbedding: r.bool('scale_embedding', false),
    useLearnedPositionEmbeddings: r.bool('use_learned_position_embeddings', true),
    layernormEmbedding: r.bool('layernorm_embedding', true),
    padTokenId: r.int('pad_token_id', 1, 0),
    crossAttentionHiddenSize: r.has('cross_attention_hidden_size') ? r.int('cross_attention_hidden_size', 0, 1) : undefined,
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    dropout: dropoutRate(r, 'dropout', 0.1),
    attentionDropout: dropoutRate(r, 'attention_dropout', 0),
    activationDropout: dropoutRate(r, 'activation_dropout', 0),
    decoderLayerdrop: dropoutRate(r, 'decoder_layerdrop', 0),
  };
  if (config.dModel % config.decoderAttentionHeads !== 0) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: "d_model" (${config.dModel}) must be a multiple of "decoder_attention_heads" (${config.decoderAttentionHeads}).`,
    );
  }
  return config;
}
