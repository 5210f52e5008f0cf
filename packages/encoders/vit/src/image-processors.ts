/**
 * The image-processor class of ViT checkpoints, as data (no graph code), so a
 * backend can register it up front, whichever encoder a checkpoint pairs it
 * with (TrOCR's DeiT checkpoints, Swin's, use it too). Exported as
 * `@ved/encoder-vit/image-processors`.
 */
import type { ImageProcessorDefinition } from '@ved/core';

/** `ViTImageProcessorPil`'s class attributes (transformers `models/vit/image_processing_pil_vit.py`). */
export const vitImageProcessor: ImageProcessorDefinition = {
  name: 'ViTImageProcessor',
  defaults: {
    resample: 2,
    image_mean: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_MEAN
    image_std: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_STD
    size: { height: 224, width: 224 },
    do_resize: true,
    do_rescale: true,
    do_normalize: true,
  },
};

export const imageProcessors: readonly ImageProcessorDefinition[] = [vitImageProcessor];
