/**
 * BERT (Devlin et al., 2019, https://arxiv.org/abs/1810.04805) as the decoder
 * of a VisionEncoderDecoder: `BertLMHeadModel` with `is_decoder` and
 * `add_cross_attention`. Mirrors transformers' `modeling_bert.py` through
 * core's BERT-family builder (`bertFamilyDecoder`, shared with RoBERTa):
 * sequential absolute positions and the prediction head `cls.predictions`
 * (transform dense → `hidden_act` → LayerNorm → decoder tied to the word
 * embeddings + bias).
 */
import { bertFamilyDecoder } from '@ved/core';
import { parseBertConfig, type BertConfig } from './config.js';

/**
 * Where `BertLMHeadModel` checkpoints keep their tensors: the base model under
 * `bert.`, the prediction head under `cls.` (a plain `BertModel` checkpoint
 * has the base model's names without the prefix).
 */
export const BERT_CAUSAL_LM_PREFIXES = { base: 'bert.', head: 'cls.' } as const;

export const bertDecoder = bertFamilyDecoder<BertConfig>({
  modelType: 'bert',
  parseConfig: parseBertConfig,
  prefixes: BERT_CAUSAL_LM_PREFIXES,
  head: { module: 'cls.predictions', dense: 'transform.dense', layerNorm: 'transform.LayerNorm' },
  paddingAwarePositions: false,
});
