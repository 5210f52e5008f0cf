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

export const imageProcessors: readonly ImageProcessorDefinition[] = [donutImageProcessor];
