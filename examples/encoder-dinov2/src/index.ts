/**
 * ved-encoder-dinov2: registers the DINOv2 encoder (`model_type: "dinov2"`)
 * with `@ved/core` when imported; the plugin brings the image processor DINOv2
 * checkpoints name (`BitImageProcessor`).
 */
import { registerEncoder } from '@ved/core';
import { dinov2Encoder } from './dinov2.js';

registerEncoder(dinov2Encoder);

export { dinov2Encoder };
export { bitImageProcessor } from './processor.js';
export { parseDinov2Config, mlpHiddenSize, type Dinov2Config } from './config.js';
