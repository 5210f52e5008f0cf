/**
 * @ved/encoder-swin: registers the Swin encoder (`model_type: "swin"`) and
 * Donut's variant of it (`model_type: "donut-swin"`), one builder with an option.
 */
import { registerEncoder } from '@ved/core';
import { donutSwinEncoder, swinEncoder } from './swin.js';

registerEncoder(swinEncoder);
registerEncoder(donutSwinEncoder);

export { swinEncoder, donutSwinEncoder };
export { parseSwinConfig, stageLayout, swinHiddenSize, patchGrid, type SwinConfig, type SwinStage, type SwinVariant } from './config.js';
