/** @ved/encoder-vit: registers the ViT encoder (`model_type: "vit"`). */
import { registerEncoder } from '@ved/core';
import { vitEncoder } from './vit.js';

registerEncoder(vitEncoder);

export { vitEncoder };
export { parseViTConfig, type ViTConfig } from './config.js';
