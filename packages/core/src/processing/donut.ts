/**
 * The steps `DonutImageProcessorPil` (transformers 5.18,
 * models/donut/image_processing_pil_donut.py) adds to the standard pipeline,
 * on uint8 HWC images: rotate to the target's orientation, shrink to fit
 * (thumbnail) and pad to the target size, centred.
 */
import { VedError } from '../errors.js';
import type { RawImage } from './raw-image.js';

/**
 * `align_long_axis`: rotates 90° clockwise (`np.rot90(k=3)` on H, W) when the
 * image is landscape and the target portrait, or the other way round.
 */
export function alignLongAxis(img: RawImage, targetHeight: number, targetWidth: number): RawImage {
  const { width, height, channels, data } = img;
  const rotate = (targetWidth < targetHeight && width > height) || (targetWidth > targetHeight && width < height);
  if (!rotate) return img;
  // Output is width x height rows: out[i][j] = in[height-1-j][i].
  const out = new Uint8Array(data.length);
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < height; j++) {
      const src = ((height - 1 - j) * width + i) * channels;
      out.set(data.subarray(src, src + channels), (i * height + j) * channels);
    }
  }
  return { width: height, height: width, channels, data: out };
}

/**
 * `thumbnail`: the `[height, width]` that fits the image into the target with
 * its aspect ratio (only shrinks), or undefined when it already fits.
 */
export function thumbnailSize(height: number, width: number, targetHeight: number, targetWidth: number): [number, number] | undefined {
  let h = Math.min(height, targetHeight);
  let w = Math.min(width, targetWidth);
  if (h === height && w === width) return undefined;
  if (height > width) w = Math.trunc((width * h) / height);
  else if (width > height) h = Math.trunc((height * w) / width);
  return [h, w];
}

/** `pad_image` (random_padding=False): zero padding to the target, `top = dH // 2`, `left = dW // 2`. */
export function padCentered(img: RawImage, targetHeight: number, targetWidth: number): RawImage {
  const { width, height, channels, data } = img;
  const dh = targetHeight - height;
  const dw = targetWidth - width;
  if (dh < 0 || dw < 0) {
    throw new VedError(
      'INVALID_IMAGE',
      `Donut padding: the image is ${width}x${height} (width x height) after resizing, larger than the target ` +
        `${targetWidth}x${targetHeight}, so it cannot be padded to it (Python fails too); enable "do_thumbnail" or "do_resize".`,
    );
  }
  if (dh === 0 && dw === 0) return img;
  const top = Math.floor(dh / 2);
  const left = Math.floor(dw / 2);
  const out = new Uint8Array(targetHeight * targetWidth * channels);
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    out.set(data.subarray(y * row, (y + 1) * row), ((y + top) * targetWidth + left) * channels);
  }
  return { width: targetWidth, height: targetHeight, channels, data: out };
}
