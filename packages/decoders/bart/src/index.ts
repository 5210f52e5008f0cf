/**
 * @ved/decoder-bart: registers BART's decoder (`model_type: "bart"`,
 * `BartForCausalLM`) and mBART's (`"mbart"`, `MBartForCausalLM`).
 */
import { registerDecoder } from '@ved/core';
import { bartDecoder, mbartDecoder } from './bart.js';

registerDecoder(bartDecoder);
registerDecoder(mbartDecoder);

export { bartDecoder, mbartDecoder, BART_CAUSAL_LM_PREFIXES } from './bart.js';
export { parseBartConfig, type BartConfig } from './config.js';
