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
 * - NEAREST: `ImagingScaleAffine`; others: `ImagingResample`.
 *
 * Reference: https://github.com/python-pillow/Pillow/blob/main/src/PIL/Image.py (`Image.resize`)
 */
import { VedError } from '../errors.js';
import type { RawImage } from './raw-image.js';
import { PilResample, resampleConvolution, resampleNearest, type PilResampleFilter } from './resample.js';

/** Resizes `img` to `width` × `height` exactly as `Image.resize((width, height), resample)` does. */
export function pilResize(img: RawImage, width: number, height: number, resample: PilResampleFilter): RawImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new VedError('INVALID_OPTION', `resize: target size must be positive integers, got ${width}x${height}.`);
  }
  return resizeImage(img, width, height, resample, false);
}

function resizeImage(img: RawImage, width: number, height: number, resample: PilResampleFilter, premultiplied: boolean): RawImage {
  if (img.width === width && img.height === height) return { ...img, data: img.data.slice() };

  const hasAlpha = img.channels === 2 || img.channels === 4;
  if (hasAlpha && !premultiplied && resample !== PilResample.NEAREST) {
    return unpremultiplyAlpha(resizeImage(premultiplyAlpha(img), width, height, resample, true));
  }

  if (img.height > img.width * 100 && height < img.height) {
    const tall = imagingResize(img, img.width, height, resample);
    return imagingResize(tall, width, height, resample);
  }
  return imagingResize(img, width, height, resample);
}

/** `_resize` in `_imaging.c` with the whole image as box. */
function imagingResize(img: RawImage, width: number, height: number, resample: PilResampleFilter): RawImage {
  if (img.width === width && img.height === height) return { ...img, data: img.data.slice() };
  if (resample === PilResample.NEAREST) return resampleNearest(img, width, height);
  return resampleConvolution(img, width, height, resample);
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
