/** @ved/encoder-beit: registers the BEiT encoder (`model_type: "beit"`). */
import { registerEncoder } from '@ved/core';
import { beitEncoder } from './beit.js';

registerEncoder(beitEncoder);

export { beitEncoder };
export { parseBeitConfig, patchGrid, type BeitConfig } from './config.js';
