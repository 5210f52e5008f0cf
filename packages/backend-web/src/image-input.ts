/**
 * Browser image inputs → RawImage holding what `np.array(PIL.Image.open(f))`
 * holds, so that core's PIL-exact processor gives the `pixel_values` Node and
 * Python give:
 *
 * - PNG files (URL, Blob/File, an <img>'s source) are decoded by ved's own
 *   PNG decoder (png-decode.ts), exact for every PNG mode: a canvas would
 *   premultiply alpha and lose the colour under transparent pixels; GIF files
 *   by core's GIF decoder, for the same reason (the first frame, as PIL opens it);
 *   TIFF files, which browsers do not decode, by tiff-decode.ts (UTIF.js); BMP
 *   files by core's BMP decoder;
 * - JPEG, WebP and other files are decoded by the browser with
 *   `createImageBitmap(blob, {premultiplyAlpha: 'none', colorSpaceConversion: 'none'})`:
 *   no ICC/gamma conversion (PIL applies none), read back through a canvas;
 * - EXIF orientation is not applied (PIL does not apply it on open): the JPEG's
 *   orientation tag is reset to 1 before decoding;
 * - the channels follow the file (PNG colour type, JPEG components, WebP alpha
 *   flag): L, LA, RGB or RGBA, as PIL opens them (a WebP with semi-transparent
 *   pixels goes through the canvas's premultiplied colour: exact on Node only);
 * - pixels already in the page (ImageBitmap, canvas, ImageData) have no file
 *   mode: they become RGB, or RGBA when some pixel is not opaque. A canvas
 *   stores premultiplied colour, so under semi-transparent pixels it may
 *   differ from the file: pass the file itself for exact results.
 *
 * Resizing is not done here: core's image processor resamples as PIL does.
 */
import { VedError, assertRawImage, checkImagePixels, decodeBmp, decodeGif, readJpegHeader, readWebpHeader, type ImageLimitOptions, type RawImage } from '@ved/core';
import { readImageHeader } from './image-format.js';
import { decodePng } from './png-decode.js';
import { decodeTiff } from './tiff-decode.js';

/** Anything the browser pipeline accepts as an image. */
export type WebImageInput =
  | string
  | URL
  | Blob
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageData
  | RawImage;

/** How images are fetched, and the decompression-bomb limit of image files (`maxImagePixels`, Pillow's by default). */
export interface LoadImageOptions extends ImageLimitOptions {
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  signal?: AbortSignal;
}

const DECODE_OPTIONS: ImageBitmapOptions = { premultiplyAlpha: 'none', colorSpaceConversion: 'none' };

function isRawImage(value: unknown): value is RawImage {
  return typeof value === 'object' && value !== null && (value as RawImage).data instanceof Uint8Array && typeof (value as RawImage).channels === 'number';
}

function hasGlobal(name: string): boolean {
  return typeof (globalThis as Record<string, unknown>)[name] === 'function';
}

function isInstance<T>(value: unknown, name: string): value is T {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && value instanceof (ctor as new () => unknown);
}

/** Keeps `channels` of RGBA pixels: L takes red, LA red and alpha. */
function narrow(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, channels: RawImage['channels']): RawImage {
  const n = width * height;
  if (channels === 4) return { width, height, channels, data: new Uint8Array(rgba.buffer.slice(rgba.byteOffset, rgba.byteOffset + n * 4)) };
  const out = new Uint8Array(n * channels);
  for (let p = 0, s = 0, o = 0; p < n; p++, s += 4) {
    out[o++] = rgba[s]!;
    if (channels === 2) out[o++] = rgba[s + 3]!;
    else if (channels === 3) {
      out[o++] = rgba[s + 1]!;
      out[o++] = rgba[s + 2]!;
    }
  }
  return { width, height, channels, data: out };
}

function opaque(rgba: Uint8ClampedArray | Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** The RGBA pixels of a decoded bitmap, unpremultiplied. */
function bitmapPixels(bitmap: ImageBitmap, name: string): Uint8ClampedArray {
  if (!hasGlobal('OffscreenCanvas')) throw new VedError('INVALID_IMAGE', `${name}: this environment has no OffscreenCanvas to read pixels with.`);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' } as CanvasRenderingContext2DSettings);
  if (ctx === null) throw new VedError('INVALID_IMAGE', `${name}: cannot get a 2D canvas context to read pixels.`);
  ctx.drawImage(bitmap, 0, 0);
  return ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
}

/**
 * Sets a JPEG's EXIF orientation to 1 (in a copy), so the browser decodes the
 * stored pixels as PIL does, not the rotated view.
 */
export function withoutExifOrientation(bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return bytes;
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff; ) {
    const marker = bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (marker === 0xda) break;
    const isExif = marker === 0xe1 && length >= 16 && String.fromCharCode(...bytes.subarray(at + 4, at + 10)) === 'Exif\0\0';
    if (isExif) {
      const tiff = at + 10;
      const little = bytes[tiff] === 0x49;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const ifd = tiff + view.getUint32(tiff + 4, little);
      if (ifd + 2 > bytes.length) return bytes;
      const count = view.getUint16(ifd, little);
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + i * 12;
        if (entry + 12 > bytes.length) break;
        if (view.getUint16(entry, little) === 0x0112) {
          if (view.getUint16(entry + 8, little) === 1) return bytes;
          const copy = bytes.slice();
          new DataView(copy.buffer).setUint16(entry + 8, 1, little);
          return copy;
        }
      }
      return bytes;
    }
    at += 2 + length;
  }
  return bytes;
}

/**
 * Decodes PNG, GIF, JPEG (or any format the browser reads) bytes; `name` names the image in errors.
 * The size a PNG, JPEG or WebP header declares is checked against `options.maxImagePixels` before decoding.
 */
export async function decodeImageBytes(bytes: Uint8Array, name = 'image', options: ImageLimitOptions = {}): Promise<RawImage> {
  if (bytes.length === 0) throw new VedError('INVALID_IMAGE', `${name}: the file is empty.`);
  const header = readImageHeader(bytes, name);
  // PNG is decoded here, exactly as PIL does; the browser's canvas would premultiply alpha.
  if (header.format === 'png') return decodePng(bytes, name, options);
  // GIF too (core's decoder, as on Node): the canvas would lose the colour under the transparent index.
  if (header.format === 'gif') return decodeGif(bytes, name, options);
  if (header.format === 'tiff') return decodeTiff(bytes, name, options);
  if (header.format === 'bmp') return decodeBmp(bytes, name, options);
  const declared = header.format === 'jpeg' ? readJpegHeader(bytes) : header.format === 'webp' ? readWebpHeader(bytes) : undefined;
  if (declared !== undefined) checkImagePixels(declared.width, declared.height, name, options);
  const blob = new Blob([withoutExifOrientation(bytes) as Uint8Array<ArrayBuffer>]);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, DECODE_OPTIONS);
  } catch (cause) {
    throw new VedError('INVALID_IMAGE', `${name}: the browser cannot decode the image (corrupt, truncated or an unsupported format): ${(cause as Error).message}`, { cause });
  }
  try {
    // Other formats: the size is known once the browser has read the file, before the pixels are copied out.
    if (declared === undefined) checkImagePixels(bitmap.width, bitmap.height, name, options);
    const rgba = bitmapPixels(bitmap, name);
    return narrow(rgba, bitmap.width, bitmap.height, header.channels ?? (opaque(rgba) ? 3 : 4));
  } finally {
    bitmap.close();
  }
}

async function fetchBytes(url: string, options: LoadImageOptions): Promise<Uint8Array> {
  const fetchFn = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchFn(url, options.signal ? { signal: options.signal } : {});
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `${url}: cannot fetch the image (${(cause as Error).message}).`, { cause });
  }
  if (!response.ok) throw new VedError('FILE_NOT_FOUND', `${url}: cannot fetch the image (HTTP ${response.status}).`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The pixels of something already drawn (bitmap, canvas): RGB, or RGBA when not opaque. */
async function fromDrawable(source: ImageBitmap | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement, name: string): Promise<RawImage> {
  const bitmap = await createImageBitmap(source, DECODE_OPTIONS);
  try {
    const rgba = bitmapPixels(bitmap, name);
    return narrow(rgba, bitmap.width, bitmap.height, opaque(rgba) ? 3 : 4);
  } finally {
    bitmap.close();
  }
}

/** Turns any `WebImageInput` into a RawImage (see the file header for the rules). */
export async function loadImage(input: WebImageInput, options: LoadImageOptions = {}): Promise<RawImage> {
  if (isRawImage(input)) {
    assertRawImage(input);
    return input;
  }
  if (typeof input === 'string' || input instanceof URL) {
    const url = String(input);
    return decodeImageBytes(await fetchBytes(url, options), url, options);
  }
  if (isInstance<Blob>(input, 'Blob')) {
    const name = isInstance<File>(input, 'File') ? input.name : `Blob(${input.type || 'unknown type'}, ${input.size} bytes)`;
    return decodeImageBytes(new Uint8Array(await input.arrayBuffer()), name, options);
  }
  if (isInstance<ImageData>(input, 'ImageData')) {
    // ImageData is unpremultiplied RGBA by definition.
    return narrow(input.data, input.width, input.height, opaque(input.data) ? 3 : 4);
  }
  if (isInstance<HTMLImageElement>(input, 'HTMLImageElement')) {
    if (!input.complete || input.naturalWidth === 0) {
      await input.decode().catch((cause: unknown) => {
        throw new VedError('INVALID_IMAGE', `<img src="${input.currentSrc || input.src}">: the image did not load (${(cause as Error).message}).`, { cause });
      });
    }
    const src = input.currentSrc || input.src;
    // The displayed <img> has EXIF rotation and colour management applied; its file has not.
    if (src !== '') {
      try {
        return await decodeImageBytes(await fetchBytes(src, options), src, options);
      } catch (err) {
        if (err instanceof VedError && err.code === 'IMAGE_TOO_LARGE') throw err;
        // e.g. a cross-origin image without CORS: read what the element shows
      }
    }
    return fromDrawable(input, `<img src="${src}">`);
  }
  if (isInstance<ImageBitmap>(input, 'ImageBitmap')) return fromDrawable(input, 'ImageBitmap');
  if (isInstance<HTMLCanvasElement>(input, 'HTMLCanvasElement') || isInstance<OffscreenCanvas>(input, 'OffscreenCanvas')) {
    return fromDrawable(input, 'canvas');
  }
  throw new VedError(
    'INVALID_IMAGE',
    `Unsupported image input (${Object.prototype.toString.call(input)}); expected a URL, Blob/File, ImageBitmap, HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, ImageData or RawImage.`,
  );
}
