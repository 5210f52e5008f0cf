/**
 * `BertConfig` fields the decoder uses, with the defaults of transformers'
 * `configuration_bert.py` (5.18). `position_embedding_type` no longer exists
 * in 5.18 (positions are always absolute), so it is not read.
 */
import { ConfigReader, readBertFamilyConfig, type BertFamilyConfig, type RawConfig } from '@ved/core';

/** The fields of core's BERT-family builder (`BertFamilyConfig`). */
export type BertConfig = BertFamilyConfig;

export function parseBertConfig(raw: RawConfig, where: string): BertConfig {
  const r = new ConfigReader(raw, where);
  return {
    ...readBertFamilyConfig(r, 30522),
    // BertConfig's default is 0; an explicit null means no padding_idx.
    padTokenId: raw.pad_token_id === null ? undefined : r.int('pad_token_id', 0, 0),
  };
}
