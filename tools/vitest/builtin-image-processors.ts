/**
 * Vitest setup: registers the built-in architectures' image-processor classes
 * (ViT, DeiT, BEiT, Donut), as both backends do on import, so that tests of
 * @ved/core's processing, which import no backend, see the classes an app sees.
 */
import { registerImageProcessors } from '../../packages/core/src/registry/registry.js';
import { imageProcessors as beit } from '../../packages/encoders/beit/src/image-processors.js';
import { imageProcessors as deit } from '../../packages/encoders/deit/src/image-processors.js';
import { imageProcessors as swin } from '../../packages/encoders/swin/src/image-processors.js';
import { imageProcessors as vit } from '../../packages/encoders/vit/src/image-processors.js';

registerImageProcessors([...vit, ...deit, ...beit, ...swin]);
