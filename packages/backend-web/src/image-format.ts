/**
 * What PIL would call an image file's mode, read from its header, so that a
 * browser decode (always RGBA) can be narrowed to the channels
 * `np.array(PIL.Image.open(f))` has: PNG colour type and tRNS, JPEG component
 * count, WebP alpha flag. Mirrors backend-node's image-decode.ts rules.
 */
import { VedError, isBmp, isGif, isJpeg, isPng, readJpegHeader, readWebpHeader, type RawImage } from '@ved/core';
import { isTiff } from './tiff-decode.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'bmp' | 'other';

export interface ImageHeader {
  format: ImageFormat;
  /** PIL's channel count after decoding; undefined when it depends on the pixels. */
  channels: RawImage['channels'] | undefined;
}

function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

/** Whether a PNG palette image has a tRNS chunk before its image data. */
function pngHasTransparency(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = chunkType(bytes, at + 4);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    at += 12 + length;
  }
  return false;
}

function pngHeader(bytes: Uint8Array, name: string): ImageHeader {
  if (bytes.length < 26 || chunkType(bytes, 12) !== 'IHDR') throw new VedError('INVALID_IMAGE', `${name}: not a valid PNG (missing IHDR header).`);
  const depth = bytes[24]!;
  const colorType = bytes[25]!;
  switch (colorType) {
    case 0:
      if (depth === 16) {
        throw new VedError(
          'INVALID_IMAGE',
          `${name}: 16-bit grayscale PNG. PIL opens it as mode "I;16" (16-bit values) and transformers' processors then work on those values; ved decodes 8-bit images only. Convert the file to 8-bit first.`,
        );
      }
      return { format: 'png', channels: 1 };
    case 2:
      return { format: 'png', channels: 3 };
    case 3:
      return { format: 'png', channels: pngHasTransparency(bytes) ? 4 : 3 };
    case 4:
      return { format: 'png', channels: depth === 16 ? 4 : 2 }; // PIL opens 16-bit LA as RGBA
    case 6:
      return { format: 'png', channels: 4 };
    default:
      throw new VedError('INVALID_IMAGE', `${name}: PNG colour type ${colorType} is invalid (expected 0, 2, 3, 4 or 6).`);
  }
}

/** Components of the first start-of-frame marker (core's `readJpegHeader`): 1 gray, 3 YCbCr/RGB, 4 CMYK. */
function jpegHeader(bytes: Uint8Array, name: string): ImageHeader {
  const frame = readJpegHeader(bytes);
  if (frame === undefined) throw new VedError('INVALID_IMAGE', `${name}: not a valid JPEG (no frame header).`);
  const { components } = frame;
  if (components === 1 || components === 3) return { format: 'jpeg', channels: components };
  if (components === 4) {
    throw new VedError('INVALID_IMAGE', `${name}: CMYK JPEG. PIL opens it as mode "CMYK", which ViT-style processors cannot normalise; convert the file to RGB first.`);
  }
  throw new VedError('INVALID_IMAGE', `${name}: JPEG with ${components} components; expected 1 (gray) or 3 (colour).`);
}

/** Reads the format and PIL channel count from a file's first bytes. */
export function readImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  if (isPng(bytes)) return pngHeader(bytes, name);
  if (isJpeg(bytes)) return jpegHeader(bytes, name);
  // L or P (RGB, RGBA with a transparent index): known once core's decoder has read the colour tables.
  if (isGif(bytes)) return { format: 'gif', channels: undefined };
  // BMP: core's decoder (a canvas would give a grey-ramp BMP three channels, and premultiply 32-bit alpha).
  if (isBmp(bytes)) return { format: 'bmp', channels: undefined };
  // Browsers do not decode TIFF: ved does (tiff-decode.ts); the channels are known once its tags are read.
  if (isTiff(bytes)) return { format: 'tiff', channels: undefined };
  const webp = readWebpHeader(bytes);
  // PIL opens a WebP as RGBA when libwebp says it has alpha, else RGB.
  if (webp !== undefined) return { format: 'webp', channels: webp.hasAlpha ? 4 : 3 };
  return { format: 'other', channels: undefined };
}
