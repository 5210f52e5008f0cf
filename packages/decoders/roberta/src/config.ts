/**
 * `RobertaConfig` / `XLMRobertaConfig` fields the decoder uses, with the
 * defaults of transformers' `configuration_roberta.py` and
 * `configuration_xlm_roberta.py` (5.18): identical except `vocab_size`.
 */
import { ConfigReader, VedError, readBertFamilyConfig, type BertFamilyConfig, type RawConfig } from '@ved/core';

/**
 * The fields of core's BERT-family builder (`BertFamilyConfig`); `pad_token_id` is always set: it is
 * the padding row of the word and position embeddings, and positions count from `padTokenId + 1`.
 */
export type RobertaConfig = BertFamilyConfig & { padTokenId: number };

export function parseRobertaConfig(raw: RawConfig, where: string, defaultVocabSize: number): RobertaConfig {
  const r = new ConfigReader(raw, where);
  const config: RobertaConfig = { ...readBertFamilyConfig(r, defaultVocabSize), padTokenId: r.int('pad_token_id', 1, 0) };
  if (config.padTokenId >= config.maxPositionEmbeddings) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: "pad_token_id" (${config.padTokenId}) must be below "max_position_embeddings" (${config.maxPositionEmbeddings}): it is also the padding row of the position embeddings.`,
    );
  }
  return config;
}
