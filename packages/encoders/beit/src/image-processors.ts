/**
 * The image-processor class of BEiT checkpoints, as data (no graph code), so a
 * backend can register it up front. Exported as
 * `@ved/encoder-beit/image-processors`.
 */
import type { ImageProcessorDefinition } from '@ved/core';

/**
 * `BeitImageProcessorPil`'s class attributes (transformers
 * `models/beit/image_processing_pil_beit.py`; `do_reduce_labels` concerns
 * segmentation maps only).
 */
export const beitImageProcessor: ImageProcessorDefinition = {
  name: 'BeitImageProcessor',
  defaults: {
    resample: 3,
    image_mean: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_MEAN
    image_std: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_STD
    size: { height: 224, width: 224 },
    default_to_square: true,
    crop_size: { height: 224, width: 224 },
    do_resize: true,
    do_center_crop: false,
    do_rescale: true,
    do_normalize: true,
  },
};

export const imageProcessors: readonly ImageProcessorDefinition[] = [beitImageProcessor];
