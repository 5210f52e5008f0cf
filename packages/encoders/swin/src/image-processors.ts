/**
 * The image-processor class of Donut checkpoints (DonutSwin encoders), as data
 * (no graph code), so a backend can register it up front. Exported as
 * `@ved/encoder-swin/image-processors`. Plain Swin checkpoints use
 * `ViTImageProcessor` (from `@ved/encoder-vit`).
 */
import type { ImageProcessorDefinition } from '@ved/core';

/**
 * `DonutImageProcessorPil`'s class attributes (transformers
 * `models/donut/image_processing_pil_donut.py`): resize the shortest edge to
 * min(height, width), thumbnail, pad; Donut's own pipeline.
 */
export const donutImageProcessor: ImageProcessorDefinition = {
  name: 'DonutImageProcessor',
  pipeline: 'donut',
  defaults: {
    resample: 2,
    image_mean: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_MEAN
    image_std: [0.5, 0.5, 0.5], // IMAGENET_STANDARD_STD
    size: { height: 2560, width: 1920 },
    do_resize: true,
    do_rescale: true,
    do_normalize: true,
    do_thumbnail: true,
    do_align_long_axis: false,
    do_pad: true,
  },
};

/**
 * `NougatImageProcessorPil`'s class defaults (transformers 5.18, models/nougat/image_processing_pil_nougat.py):
 * Nougat (facebook/nougat-base, -small) is a DonutSwin encoder with an mBART decoder reading page images.
 */
export const nougatImageProcessor: ImageProcessorDefinition = {
  name: 'NougatImageProcessor',
  pipeline: 'nougat',
  defaults: {
    resample: 2,
    image_mean: [0.485, 0.456, 0.406], // IMAGENET_DEFAULT_MEAN
    image_std: [0.229, 0.224, 0.225], // IMAGENET_DEFAULT_STD
    size: { height: 896, width: 672 },
    do_resize: true,
    do_normalize: true,
    do_thumbnail: true,
    do_align_long_axis: false,
    do_pad: true,
    do_rescale: true,
    do_crop_margin: true,
  },
};

export const imageProcessors: readonly ImageProcessorDefinition[] = [donutImageProcessor, nougatImageProcessor];
