/** @ved/decoder-bert: registers the BERT decoder (`model_type: "bert"`, `BertLMHeadModel`). */
import { registerDecoder } from '@ved/core';
import { bertDecoder } from './bert.js';

registerDecoder(bertDecoder);

export { bertDecoder, BERT_CAUSAL_LM_PREFIXES } from './bert.js';
export { parseBertConfig, type BertConfig } from './config.js';
