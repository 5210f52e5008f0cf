/** ved-decoder-electra: registers the ELECTRA decoder (`model_type: "electra"`, `ElectraForCausalLM`) with `@ved/core` when imported. */
import { registerDecoder } from '@ved/core';
import { electraDecoder } from './electra.js';

registerDecoder(electraDecoder);

export { electraDecoder, ELECTRA_BASE_PREFIX } from './electra.js';
export { parseElectraConfig, type ElectraConfig } from './config.js';
