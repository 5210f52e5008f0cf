/**
 * The image of a request: raw bytes (`Content-Type: image/png`, ...) or the
 * base64 `image` of a JSON body, decoded as `ved caption` decodes files. The
 * decoder checks the size its header declares before inflating a byte (a
 * decompression bomb is `IMAGE_TOO_LARGE`, as Pillow's `DecompressionBombError`).
 */
import { DEFAULT_MAX_IMAGE_PIXELS, VedError, type RawImage } from '@ved/core';
import { decodeImage } from '../image-decode.js';

/** The default `--max-image-pixels`: Pillow's `DecompressionBombError` limit, 178 956 970 pixels. */
export const MAX_IMAGE_PIXELS = DEFAULT_MAX_IMAGE_PIXELS;

/** Decodes a request's image, refusing one whose header declares more than `maxPixels` pixels. */
export async function decodeRequestImage(bytes: Uint8Array, name: string, maxPixels: number): Promise<RawImage> {
  if (bytes.length === 0) throw new VedError('INVALID_IMAGE', `${name}: the body is empty; send the image's bytes.`);
  // Pillow's warning between MAX_IMAGE_PIXELS and twice that is no news to a server's caller.
  return decodeImage(bytes, name, { maxImagePixels: maxPixels, onWarning: () => {} });
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
