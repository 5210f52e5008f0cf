/** @ved/decoder-trocr: registers TrOCR's decoder (`model_type: "trocr"`, `TrOCRForCausalLM`). */
import { registerDecoder } from '@ved/core';
import { trocrDecoder } from './trocr.js';

registerDecoder(trocrDecoder);

export { trocrDecoder, TROCR_CAUSAL_LM_PREFIXES } from './trocr.js';
export { sinusoidalFrequencies, sinusoidalPositionEmbedding } from './sinusoidal.js';
export { parseTrOCRConfig, type TrOCRConfig } from './config.js';
