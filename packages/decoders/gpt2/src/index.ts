/** @ved/decoder-gpt2: registers the GPT-2 decoder (`model_type: "gpt2"`). */
import { registerDecoder } from '@ved/core';
import { gpt2Decoder } from './gpt2.js';

registerDecoder(gpt2Decoder);

export { gpt2Decoder };
export { parseGPT2Config, type GPT2Config } from './config.js';
