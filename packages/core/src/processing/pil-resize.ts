/**
 * `PIL.Image.Image.resize(size, resample)` on a RawImage: the choices Pillow's
 * Python layer (`Image.resize`) and `_imaging.c` (`_resize`) make around the
 * kernels of `resample.ts`, reproduced bit for bit:
 *
 * - same size: a copy;
 * - LA and RGBA with any filter but NEAREST: premultiply alpha (`La`/`RGBa`),
 *   resize, un-premultiply (Convert.c `lA2la`/`rgbA2rgba` and back);
 * - an image more than 100 times taller than wide that shrinks vertically:
 *   vertical pass first, then horizontal (two `_resize` calls);
 * - NEAREST: `ImagingScaleAffine`; others: `ImagingResample`;
 * - `reducingGap` (Pillow's `reducing_gap`, which transformers passes for Nougat's
 *   thumbnail): images without alpha first shrink by whole factors with
 *   `Image.reduce` (`src/libImaging/Reduce.c`: the average of each factor × factor
 *   block, partial blocks at the right and bottom edges averaged over what they
 *   hold, in Pillow's fixed point), then resample the reduced image's fractional
 *   box. LA and RGBA images ignore it, as `Image.resize` does (it resizes their
 *   premultiplied form without passing `reducing_gap` on).
 *
 * Reference: https://github.com/python-pillow/Pillow/blob/main/src/PIL/Image.py (`Image.resize`)
 */
import { VedError } from '../errors.js';
import type { RawImage } from './raw-image.js';
import { PilResample, resampleConvolution, resampleNearest, type PilResampleFilter, type ResampleBox } from './resample.js';

/**
 * Resizes `img` to `width` × `height` exactly as `Image.resize((width, height), resample, reducing_gap=…)`
 * does (`reducingGap` default: none).
 */
export function pilResize(img: RawImage, width: number, height: number, resample: PilResampleFilter, options: { reducingGap?: number } = {}): RawImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new VedError('INVALID_OPTION', `resize: target size must be positive integers, got ${width}x${height}.`);
  }
  const gap = options.reducingGap;
  if (gap !== undefined && !(gap >= 1)) throw new VedError('INVALID_OPTION', `resize: reducing_gap must be 1.0 or greater, got ${gap}.`);
  return resizeImage(img, width, height, resample, false, gap);
}

function resizeImage(img: RawImage, width: number, height: number, resample: PilResampleFilter, premultiplied: boolean, reducingGap?: number): RawImage {
  if (img.width === width && img.height === height) return { ...img, data: img.data.slice() };

  const hasAlpha = img.channels === 2 || img.channels === 4;
  if (hasAlpha && !premultiplied && resample !== PilResample.NEAREST) {
    // Image.resize calls itself on the premultiplied image without reducing_gap.
    return unpremultiplyAlpha(resizeImage(premultiplyAlpha(img), width, height, resample, true));
  }

  let box: ResampleBox = [0, 0, img.width, img.height];
  if (reducingGap !== undefined && resample !== PilResample.NEAREST) {
    const factorX = Math.trunc(img.width / width / reducingGap) || 1;
    const factorY = Math.trunc(img.height / height / reducingGap) || 1;
    if (factorX > 1 || factorY > 1) {
      // _get_safe_box of the whole image is the whole image: reduce all of it, then resample the part of the
      // reduced image the original covers (its last block may be partial).
      img = reduceImage(img, factorX, factorY);
      box = [0, 0, box[2] / factorX, box[3] / factorY];
    }
  }

  if (img.height > img.width * 100 && height < img.height) {
    const tall = imagingResize(img, img.width, height, resample, [0, box[1], img.width, box[3]]);
    return imagingResize(tall, width, height, resample, [box[0], 0, box[2], height]);
  }
  return imagingResize(img, width, height, resample, box);
}

/** `_resize` in `_imaging.c`. */
function imagingResize(img: RawImage, width: number, height: number, resample: PilResampleFilter, box: ResampleBox): RawImage {
  const whole = box[0] === 0 && box[1] === 0 && box[2] === width && box[3] === height;
  if (img.width === width && img.height === height && whole) return { ...img, data: img.data.slice() };
  if (resample === PilResample.NEAREST) return resampleNearest(img, width, height);
  return resampleConvolution(img, width, height, resample, box);
}

/** `division_UINT32(divider, 8)` of Reduce.c: 2^32 / (256 · divider) in C float, truncated. */
function reduceMultiplier(divider: number): number {
  return Math.trunc(Math.fround(4294967296 / Math.fround(256 * divider)));
}

/**
 * `ImagingReduce` (`Image.reduce((factorX, factorY))`) of an image without alpha: each output pixel is
 * `((sum + ⌊n/2⌋) · multiplier(n)) >> 24` in unsigned 32-bit arithmetic over the n pixels of its block, the
 * blocks of the last column and row holding what is left (`ImagingReduceCorners`).
 */
function reduceImage(img: RawImage, factorX: number, factorY: number): RawImage {
  const { width, height, channels, data } = img;
  const outW = Math.ceil(width / factorX);
  const outH = Math.ceil(height / factorY);
  const out = new Uint8Array(outW * outH * channels);
  const sums = new Float64Array(channels);
  for (let by = 0; by < outH; by++) {
    const y0 = by * factorY;
    const y1 = Math.min(height, y0 + factorY);
    for (let bx = 0; bx < outW; bx++) {
      const x0 = bx * factorX;
      const x1 = Math.min(width, x0 + factorX);
      const n = (x1 - x0) * (y1 - y0);
      const multiplier = reduceMultiplier(n);
      sums.fill(Math.trunc(n / 2));
      for (let y = y0; y < y1; y++) {
        for (let x = x0, p = (y * width + x0) * channels; x < x1; x++) for (let c = 0; c < channels; c++) sums[c] = sums[c]! + data[p++]!;
      }
      const o = (by * outW + bx) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = Math.floor((sums[c]! * multiplier) % 4294967296 / 16777216);
    }
  }
  return { width: outW, height: outH, channels, data: out };
}

/** `MULDIV255` of Pillow's ImagingUtils.h: round(a * b / 255) in integers. */
function mulDiv255(a: number, b: number): number {
  const tmp = a * b + 128;
  return ((tmp >> 8) + tmp) >> 8;
}

/** LA → La / RGBA → RGBa (Convert.c `lA2la`, `rgbA2rgba`). */
function premultiplyAlpha(img: RawImage): RawImage {
  const { data, channels } = img;
  const out = new Uint8Array(data.length);
  const a = channels - 1;
  for (let p = 0; p < data.length; p += channels) {
    const alpha = data[p + a]!;
    for (let c = 0; c < a; c++) out[p + c] = mulDiv255(data[p + c]!, alpha);
    out[p + a] = alpha;
  }
  return { ...img, data: out };
}

/** La → LA / RGBa → RGBA (Convert.c `la2lA`, `rgba2rgbA`). */
function unpremultiplyAlpha(img: RawImage): RawImage {
  const { data, channels } = img;
  const out = new Uint8Array(data.length);
  const a = channels - 1;
  for (let p = 0; p < data.length; p += channels) {
    const alpha = data[p + a]!;
    if (alpha === 255 || alpha === 0) {
      for (let c = 0; c < a; c++) out[p + c] = data[p + c]!;
    } else {
      for (let c = 0; c < a; c++) out[p + c] = Math.min(255, Math.trunc((255 * data[p + c]!) / alpha));
    }
    out[p + a] = alpha;
  }
  return { ...img, data: out };
}
