/** @ved/encoder-deit: registers the DeiT encoder (`model_type: "deit"`). */
import { registerEncoder } from '@ved/core';
import { deitEncoder } from './deit.js';

registerEncoder(deitEncoder);

export { deitEncoder };
export { parseDeiTConfig, type DeiTConfig } from './config.js';
