/**
 * The image-processor class of DeiT checkpoints, as data (no graph code), so a
 * backend can register it up front. Exported as
 * `@ved/encoder-deit/image-processors`.
 */
import type { ImageProcessorDefinition } from '@ved/core';

/** `DeiTImageProcessorPil`'s class attributes (transformers `models/deit/image_processing_pil_deit.py`). */
export const deitImageProcessor: ImageProcessorDefinition = {
  name: 'DeiTImageProcessor',
  defaults: {
    resample: 3,
    image_mean: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_MEAN
    image_std: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_STD
    size: { height: 256, width: 256 },
    crop_size: { height: 224, width: 224 },
    do_resize: true,
    do_center_crop: true,
    do_rescale: true,
    do_normalize: true,
  },
};

export const imageProcessors: readonly ImageProcessorDefinition[] = [deitImageProcessor];
