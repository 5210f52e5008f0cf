/**
 * The step `NougatImageProcessorPil` (transformers 5.18,
 * models/nougat/image_processing_pil_nougat.py) adds before Donut's steps:
 * `crop_margin`, on uint8 HWC images. Its other steps are Donut's
 * (`donut.ts`), except that its thumbnail always resamples with BICUBIC and
 * `reducing_gap=2.0` (see `pil-resize.ts`) and it has no center crop.
 */
import { VedError } from '../errors.js';
import type { RawImage } from './raw-image.js';

/** PIL's `convert("L")` value of pixel `p` (Convert.c `rgb2l`: ITU-R 601-2 luma in 16-bit fixed point; L and LA keep L). */
function luma(data: Uint8Array, p: number, channels: number): number {
  if (channels < 3) return data[p]!;
  return (data[p]! * 19595 + data[p + 1]! * 38470 + data[p + 2]! * 7471 + 0x8000) >> 16;
}

/**
 * `crop_margin(image, gray_threshold=200)`: crops to the bounding box of the pixels whose grey level,
 * stretched to [0, 255] between the image's darkest and lightest, is below 200 (the page's content); an
 * image of one grey level is returned as it is.
 */
export function cropMargin(img: RawImage, grayThreshold = 200): RawImage {
  const { width, height, channels, data } = img;
  let min = 255;
  let max = 0;
  for (let p = 0; p < data.length; p += channels) {
    const v = luma(data, p, channels);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) return img;
  if (channels === 1) {
    // np.array of the cropped L image is 2-D, which to_channel_dimension_format cannot transpose.
    throw new VedError(
      'INVALID_IMAGE',
      'Nougat\'s crop_margin cannot crop a grayscale (L) image: transformers 5.18 fails on it ("axes don\'t match array"). Set "do_convert_rgb": true in preprocessor_config.json, pass RGB images, or turn "do_crop_margin" off.',
    );
  }
  // (data - min) / (max - min) * 255 < threshold, in float64 as numpy computes it.
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p += channels) {
      if (((luma(data, p, channels) - min) / (max - min)) * 255 < grayThreshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  if (w === width && h === height) return img;
  const out = new Uint8Array(w * h * channels);
  const row = w * channels;
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * width + x0) * channels;
    out.set(data.subarray(from, from + row), y * row);
  }
  return { width: w, height: h, channels, data: out };
}
