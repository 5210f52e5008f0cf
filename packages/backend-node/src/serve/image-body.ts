/**
 * The image of a request: raw bytes (`Content-Type: image/png`, ...) or the
 * base64 `image` of a JSON body, checked against the pixel limit from the
 * header alone (a decompression bomb is refused before a byte is inflated,
 * as PIL's `Image.MAX_IMAGE_PIXELS` does), then decoded as `ved caption`
 * decodes files.
 */
import { VedError, type RawImage } from '@ved/core';
import sharp from 'sharp';
import { decodeImage } from '../image-decode.js';
import { ServeError } from './errors.js';

/** PIL's `Image.MAX_IMAGE_PIXELS`: `int(1024 * 1024 * 1024 // 4 // 3)`. */
export const PIL_MAX_IMAGE_PIXELS = 178956970;

/** Reads the header's size and refuses images over `maxPixels` before decoding. */
export async function decodeRequestImage(bytes: Uint8Array, name: string, maxPixels: number): Promise<RawImage> {
  if (bytes.length === 0) throw new VedError('INVALID_IMAGE', `${name}: the body is empty; send the image's bytes.`);
  let width: number | undefined;
  let height: number | undefined;
  try {
    // metadata() parses the header only.
    ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata());
  } catch (cause) {
    throw new VedError('INVALID_IMAGE', `${name}: not a PNG or JPEG image (${cause instanceof Error ? cause.message : String(cause)}).`, { cause });
  }
  if (width !== undefined && height !== undefined && width * height > maxPixels) {
    throw new ServeError(
      'IMAGE_TOO_LARGE',
      400,
      `${name}: the image declares ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels} (--max-image-pixels; PIL refuses such images as decompression bombs).`,
    );
  }
  return decodeImage(bytes, name);
}

/** The bytes of a base64 `image` member (a `data:` URL prefix is allowed). */
export function base64Image(value: unknown): Uint8Array {
  if (typeof value !== 'string' || value.length === 0) {
    throw new VedError('INVALID_INPUT', `"image" must be the image file as a base64 string, got ${value === undefined ? 'nothing' : typeof value}.`);
  }
  const data = value.replace(/^data:[^;,]*;base64,/, '').replace(/\s+/g, '');
  // Buffer.from skips characters outside the alphabet silently; refuse them instead.
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(data) || data.length % 4 === 1) {
    throw new VedError('INVALID_INPUT', '"image" is not valid base64.');
  }
  return new Uint8Array(Buffer.from(data, 'base64'));
}
