/**
 * The built-in architectures' image-processor classes (`ViTImageProcessor`,
 * `DeiTImageProcessor`, `BeitImageProcessor`, `DonutImageProcessor`),
 * registered up front: they are data (their Python class defaults), not graph
 * code, and a checkpoint may name any of them whichever encoder it has (TrOCR's
 * DeiT checkpoints use `ViTImageProcessor`). Imported by the full backend and
 * by `@ved/backend-web/lite`.
 */
import { registerImageProcessors } from '@ved/core';
import { imageProcessors as beit } from '@ved/encoder-beit/image-processors';
import { imageProcessors as deit } from '@ved/encoder-deit/image-processors';
import { imageProcessors as swin } from '@ved/encoder-swin/image-processors';
import { imageProcessors as vit } from '@ved/encoder-vit/image-processors';

registerImageProcessors([...vit, ...deit, ...beit, ...swin]);
