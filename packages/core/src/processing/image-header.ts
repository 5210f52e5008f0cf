/**
 * What an image file declares before any pixel is decoded, and Pillow's checks
 * on it, shared by the Node and browser decoders:
 *
 * - the size from the PNG IHDR or the JPEG frame header, so that an image
 *   whose pixel count exceeds the decompression-bomb limit is refused before
 *   the decoder allocates it. Pillow (`PIL.Image._decompression_bomb_check`,
 *   run by `Image.open`) warns above `Image.MAX_IMAGE_PIXELS` (89 478 485 in
 *   Pillow 12) and raises `DecompressionBombError` above twice that,
 *   178 956 970 pixels, counting `max(1, w) * max(1, h)`;
 * - PNG chunk CRCs: Pillow checks the CRC of every chunk before the first IDAT
 *   (`PngStream.crc` in `PngImagePlugin`; a mismatch makes `Image.open` raise
 *   "cannot identify image file") and none from the image data on (a bad IDAT
 *   or IEND CRC decodes). Checked with tools/reference/probe_hardening.py.
 */
import { VedError } from '../errors.js';

/** `PIL.Image.MAX_IMAGE_PIXELS` (Pillow 12): above it, Pillow warns. */
export const PIL_MAX_IMAGE_PIXELS = 89_478_485;
/** Pillow's `DecompressionBombError` limit, `2 * MAX_IMAGE_PIXELS`: ved's default `maxImagePixels`. */
export const DEFAULT_MAX_IMAGE_PIXELS = 2 * PIL_MAX_IMAGE_PIXELS;

export interface ImageLimitOptions {
  /**
   * Images with more pixels are refused before decoding (`IMAGE_TOO_LARGE`).
   * Default 178 956 970, Pillow's `DecompressionBombError` limit; a warning is
   * given above half of it, as Pillow warns above `MAX_IMAGE_PIXELS`. `null`
   * (Pillow's `MAX_IMAGE_PIXELS = None`) or `Infinity` turns the check off.
   */
  maxImagePixels?: number | null;
  /** Receives the decompression-bomb warning (default `console.warn`). */
  onWarning?: (message: string) => void;
}

/** Checks a `maxImagePixels` option value; `what` names it in the error. */
export function checkMaxImagePixels(value: unknown, what = 'maxImagePixels'): number | null {
  if (value === undefined) return DEFAULT_MAX_IMAGE_PIXELS;
  if (value === null || value === Infinity) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new VedError('INVALID_OPTION', `${what} must be a positive integer number of pixels (or null for no limit), got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Pillow's `_decompression_bomb_check` on a declared size; `name` names the image. */
export function checkImagePixels(width: number, height: number, name: string, options: ImageLimitOptions = {}): void {
  const limit = checkMaxImagePixels(options.maxImagePixels);
  if (limit === null) return;
  const pixels = Math.max(1, width) * Math.max(1, height);
  if (pixels > limit) {
    throw new VedError(
      'IMAGE_TOO_LARGE',
      `${name}: the image is ${width}x${height} (${pixels} pixels), more than the limit of ${limit} pixels; it could be a decompression bomb ` +
        `(Pillow raises DecompressionBombError). If the image is genuine, raise the limit (maxImagePixels, ved: --max-image-pixels N).`,
    );
  }
  const warnAbove = Math.floor(limit / 2);
  if (pixels > warnAbove) {
    const warn = options.onWarning ?? ((m: string) => console.warn(`ved: ${m}`));
    warn(`${name}: image size (${pixels} pixels) exceeds limit of ${warnAbove} pixels, could be decompression bomb DOS attack.`);
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, as PNG and zlib compute it); hand-written because the browser has none. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Reads a PNG's IHDR and checks the CRC of every chunk before the first IDAT,
 * as Pillow's `Image.open` does. Returns undefined when `bytes` is not a PNG.
 */
export function readPngHeader(bytes: Uint8Array, name: string): PngHeader | undefined {
  if (!isPng(bytes)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 33 || type(12) !== 'IHDR' || view.getUint32(8) !== 13) {
    throw new VedError('INVALID_IMAGE', `${name}: not a valid PNG (missing IHDR header).`);
  }
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const chunk = type(at + 4);
    if (chunk === 'IDAT' || chunk === 'IEND') break;
    if (at + 12 + length > bytes.length) break; // truncated: the decoder reports it
    const stored = view.getUint32(at + 8 + length);
    const actual = crc32(bytes.subarray(at + 4, at + 8 + length));
    if (stored !== actual) {
      throw new VedError(
        'INVALID_IMAGE',
        `${name}: corrupt PNG: the ${JSON.stringify(chunk)} chunk at byte ${at} has CRC ${hex(stored)}, but its data gives ${hex(actual)} ` +
          '(the file is damaged; Pillow refuses it too: "cannot identify image file").',
      );
    }
    at += 12 + length;
  }
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    depth: bytes[24]!,
    colorType: bytes[25]!,
    interlaced: bytes[28] === 1,
  };
}

/**
 * A copy of a PNG whose chunks from the first IDAT on carry correct CRCs, or
 * the bytes themselves when they already do: Pillow never checks those CRCs,
 * libpng does.
 */
export function withPngDataCrcsFixed(bytes: Uint8Array): Uint8Array {
  if (!isPng(bytes)) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let copy: Uint8Array | undefined;
  let data = false;
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) break;
    const chunk = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    data ||= chunk === 'IDAT';
    if (data) {
      const actual = crc32(bytes.subarray(at + 4, at + 8 + length));
      if (view.getUint32(at + 8 + length) !== actual) {
        copy ??= bytes.slice();
        new DataView(copy.buffer).setUint32(at + 8 + length, actual);
      }
    }
    if (chunk === 'IEND') break;
    at += 12 + length;
  }
  return copy ?? bytes;
}

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 gray, 3 YCbCr/RGB, 4 CMYK. */
  components: number;
}

/** The first start-of-frame header of a JPEG, or undefined when there is none before the scan. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  if (!isJpeg(bytes)) return undefined;
  for (let at = 2; at + 9 < bytes.length; ) {
    if (bytes[at] !== 0xff) {
      at++;
      continue;
    }
    const marker = bytes[at + 1]!;
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
      const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      return { width, height, components: bytes[at + 9]! };
    }
    if (marker === 0xda) return undefined; // start of scan without a frame header
    at += 2 + length;
  }
  return undefined;
}

/** `RIFF....WEBP`. */
export function isWebp(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP';
}

export interface WebpHeader {
  width: number;
  height: number;
  /** libwebp's `WebPGetFeatures` `has_alpha`: PIL opens the file as RGBA when set, else RGB. */
  hasAlpha: boolean;
}

/**
 * The canvas size and alpha flag of a WebP file (libwebp's `WebPGetFeatures`, read from the first chunk
 * as its container spec lays it out): `VP8 ` (lossy, no alpha), `VP8L` (lossless: 14-bit sizes minus one
 * and the alpha-is-used bit) or `VP8X` (extended: the alpha flag and 24-bit canvas sizes minus one).
 * Undefined when the bytes are not such a file.
 */
export function readWebpHeader(bytes: Uint8Array): WebpHeader | undefined {
  if (!isWebp(bytes) || bytes.length < 30) return undefined;
  const chunk = ascii(bytes, 12, 16);
  const u24 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
  if (chunk === 'VP8 ') {
    // 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height (2 scale bits above each).
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return undefined;
    return { width: (bytes[26]! | (bytes[27]! << 8)) & 0x3fff, height: (bytes[28]! | (bytes[29]! << 8)) & 0x3fff, hasAlpha: false };
  }
  if (chunk === 'VP8L') {
    if (bytes[20] !== 0x2f) return undefined;
    const bits = (bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24)) >>> 0;
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, hasAlpha: ((bits >>> 28) & 1) === 1 };
  }
  if (chunk === 'VP8X') return { width: u24(24) + 1, height: u24(27) + 1, hasAlpha: (bytes[20]! & 0x10) !== 0 };
  return undefined;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}
