/**
 * @ved/decoder-roberta: registers the RoBERTa decoders, `model_type: "roberta"`
 * (`RobertaForCausalLM`) and `"xlm-roberta"` (`XLMRobertaForCausalLM`).
 */
import { registerDecoder } from '@ved/core';
import { robertaDecoder, xlmRobertaDecoder } from './roberta.js';

registerDecoder(robertaDecoder);
registerDecoder(xlmRobertaDecoder);

export { robertaDecoder, xlmRobertaDecoder, ROBERTA_CAUSAL_LM_PREFIXES } from './roberta.js';
export { parseRobertaConfig, type RobertaConfig } from './config.js';
