/**
 * The image processor DINOv2 checkpoints use (transformers' `AutoImageProcessor`
 * maps `dinov2` to `BitImageProcessor`): core's standard pipeline (convert to
 * RGB → resize the shortest edge → center crop → rescale → normalise) with the
 * class attributes of transformers' `models/bit/image_processing_pil_bit.py`.
 */
import type { ImageProcessorDefinition } from '@ved/core';

/** `BitImageProcessorPil`'s class attributes, snake_case as in `preprocessor_config.json`. */
export const bitImageProcessor: ImageProcessorDefinition = {
  name: 'BitImageProcessor',
  defaults: {
    resample: 3, // BICUBIC
    image_mean: [0.48145466, 0.4578275, 0.40821073], // OPENAI_CLIP_MEAN
    image_std: [0.26862954, 0.26130258, 0.27577711], // OPENAI_CLIP_STD
    size: { shortest_edge: 224 },
    default_to_square: false,
    crop_size: { height: 224, width: 224 },
    do_resize: true,
    do_center_crop: true,
    do_rescale: true,
    do_normalize: true,
    do_convert_rgb: true,
  },
};
