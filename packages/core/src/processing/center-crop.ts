/**
 * transformers' `center_crop` (image_transforms.py) on uint8: the crop starts at
 * `floor((H - crop_h) / 2)`, `floor((W - crop_w) / 2)`, and a crop larger than
 * the image is zero-padded around it (the same offsets, negative).
 */
import { VedError } from '../errors.js';
import type { RawImage } from './raw-image.js';

export function centerCrop(img: RawImage, cropHeight: number, cropWidth: number): RawImage {
  if (!Number.isInteger(cropHeight) || !Number.isInteger(cropWidth) || cropHeight < 1 || cropWidth < 1) {
    throw new VedError('INVALID_OPTION', `centerCrop: crop size must be positive integers, got ${cropWidth}x${cropHeight}.`);
  }
  const { width, height, channels, data } = img;
  const top = Math.floor((height - cropHeight) / 2);
  const left = Math.floor((width - cropWidth) / 2);
  const out = new Uint8Array(cropHeight * cropWidth * channels);
  // Columns of the crop that fall inside the image.
  const c0 = Math.max(0, -left);
  const c1 = Math.min(cropWidth, width - left);
  for (let r = 0; r < cropHeight; r++) {
    const sy = r + top;
    if (sy < 0 || sy >= height || c1 <= c0) continue;
    const src = (sy * width + left + c0) * channels;
    out.set(data.subarray(src, src + (c1 - c0) * channels), (r * cropWidth + c0) * channels);
  }
  return { width: cropWidth, height: cropHeight, channels, data: out };
}
