/**
 * PNG, JPEG, WebP, TIFF, GIF and BMP files → RawImage with sharp (libvips), holding what
 * `np.array(PIL.Image.open(f))` holds in Python, so that ved's image
 * processors see the pixels transformers sees:
 *
 * - the file's own channel layout: L → 1 channel, LA → 2, RGB → 3, RGBA → 4
 *   (sharp widens gray to RGB and adds alpha for a tRNS chunk; PIL does not);
 * - palette PNGs → RGB, or RGBA when the palette has transparency (the RGB part
 *   equals PIL's `convert('RGB')`);
 * - WebP → RGB, or RGBA when the file says it has alpha (libwebp's `has_alpha`, as
 *   Pillow's decoder reads it); lossy and lossless decode to PIL's bytes (both are
 *   libwebp, with its default fancy upsampling);
 * - GIF → core's decoder (`decodeGif`), which follows Pillow to the byte: the
 *   first frame, RGB, or RGBA when a transparent index is declared, L without a
 *   colour table; BMP → core's `decodeBmp` (palettes as RGB, grey ramps as L,
 *   16/24/32 bits, bit fields, RLE);
 * - TIFF (libtiff in both; the first page, as PIL opens it): L, LA, RGB, RGBA as
 *   stored, bilevel (PIL mode "1") as L with 0 and 255, as for 1-bit PNGs, a
 *   palette as RGB; every compression libtiff reads (LZW, deflate, PackBits,
 *   JPEG, CCITT group 3 and 4);
 * - no EXIF rotation and no ICC colour conversion (PIL applies neither on open);
 * - corrupt or truncated data is an error, as PIL raises "image file is truncated".
 *
 * PIL reads 16-bit grayscale PNGs and TIFFs as 16-bit integers ("I;16") and CMYK
 * JPEGs and TIFFs as CMYK; neither fits a uint8 RGB pipeline, so both are refused
 * with an explanation.
 *
 * Before any pixel is decoded, as `PIL.Image.open` does: the size the header
 * declares is checked against the decompression-bomb limit (`maxImagePixels`,
 * Pillow's 178 956 970 by default; `IMAGE_TOO_LARGE`), and a PNG's chunk CRCs
 * up to its image data are verified (Pillow ignores those of IDAT and later
 * chunks, libpng does not: they are recomputed in a copy before sharp reads it).
 */
import { readFile } from 'node:fs/promises';
import {
  VedError,
  checkImagePixels,
  checkMaxImagePixels,
  decodeBmp,
  decodeGif,
  isBmp,
  isGif,
  readJpegHeader,
  readPngHeader,
  readWebpHeader,
  withPngDataCrcsFixed,
  type ImageLimitOptions,
  type RawImage,
} from '@ved/core';
import sharp, { type OutputInfo } from 'sharp';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Channels PIL gives a PNG, from its IHDR colour type and bit depth (PngImagePlugin `_MODES`). */
function pngChannels(bytes: Uint8Array, name: string, sharpChannels: number): RawImage['channels'] {
  const isIhdr = bytes.length >= 26 && PNG_SIGNATURE.every((b, i) => bytes[i] === b) && String.fromCharCode(...bytes.subarray(12, 16)) === 'IHDR';
  if (!isIhdr) throw new VedError('INVALID_IMAGE', `${name}: not a valid PNG (missing IHDR header).`);
  const depth = bytes[24]!;
  const colorType = bytes[25]!;
  switch (colorType) {
    case 0: // gray; a tRNS chunk stays in PIL's info, the image stays L
      if (depth === 16) {
        throw new VedError(
          'INVALID_IMAGE',
          `${name}: 16-bit grayscale PNG. PIL opens it as mode "I;16" (16-bit values) and transformers' processors then work on those values; ved decodes 8-bit images only. Convert the file to 8-bit (e.g. PIL \`im.convert("L")\` after scaling) first.`,
        );
      }
      return 1;
    case 2: // RGB (8 or 16 bit; PIL keeps the high byte), tRNS ignored
      return 3;
    case 3: // palette: expanded, with alpha only when the palette has transparency
      return sharpChannels >= 4 ? 4 : 3;
    case 4: // gray + alpha: PIL opens 16-bit LA as RGBA
      return depth === 16 ? 4 : 2;
    case 6:
      return 4;
    default:
      throw new VedError('INVALID_IMAGE', `${name}: PNG colour type ${colorType} is invalid (expected 0, 2, 3, 4 or 6).`);
  }
}

/** Picks `target` channels out of sharp's interleaved output (gray arrives as R = G = B). */
function selectChannels(src: Uint8Array, pixels: number, from: number, target: RawImage['channels'], name: string): Uint8Array {
  if (from === target) return src;
  const hasAlpha = from === 2 || from === 4;
  if ((target === 2 || target === 4) && !hasAlpha) {
    throw new VedError('INVALID_IMAGE', `${name}: expected an alpha channel but the decoder returned ${from} channel(s).`);
  }
  const out = new Uint8Array(pixels * target);
  for (let p = 0, s = 0, o = 0; p < pixels; p++, s += from) {
    const gray = from < 3;
    if (target === 1) out[o++] = src[s]!;
    else if (target === 2) {
      out[o++] = src[s]!;
      out[o++] = src[s + from - 1]!;
    } else {
      out[o++] = src[s]!;
      out[o++] = src[gray ? s : s + 1]!;
      out[o++] = src[gray ? s : s + 2]!;
      if (target === 4) out[o++] = src[s + from - 1]!;
    }
  }
  return out;
}

/** PIL's channels for a TIFF: as stored (L, LA, RGB, RGBA; a palette is expanded to RGB by libvips). */
function tiffTarget(channels: number, name: string): RawImage['channels'] {
  if (channels === 1 || channels === 2 || channels === 3 || channels === 4) return channels;
  throw new VedError('INVALID_IMAGE', `${name}: a TIFF with ${channels} samples per pixel; ved reads L, LA, RGB and RGBA TIFFs.`);
}

/** Options of `decodeImage` / `readImageFile`: the decompression-bomb limit and where its warning goes. */
export type DecodeImageOptions = ImageLimitOptions;

/**
 * Decodes PNG, JPEG, WebP, TIFF, GIF or BMP bytes. `name` (usually the path) names the file in errors;
 * a corrupt, truncated or unsupported file is a `VedError` with code `INVALID_IMAGE`,
 * one whose header declares more than `options.maxImagePixels` pixels `IMAGE_TOO_LARGE`.
 */
export async function decodeImage(bytes: Uint8Array, name: string, options: DecodeImageOptions = {}): Promise<RawImage> {
  if (!(bytes instanceof Uint8Array)) throw new VedError('INVALID_IMAGE', `${name}: expected the file's bytes as a Uint8Array.`);
  if (bytes.length === 0) throw new VedError('INVALID_IMAGE', `${name}: the file is empty.`);
  checkMaxImagePixels(options.maxImagePixels);
  // GIF: core's decoder, Pillow's to the byte (sharp loses the colour under a transparent index).
  if (isGif(bytes)) return decodeGif(bytes, name, options);
  // BMP: core's decoder too (libvips, inside sharp, has no BMP reader).
  if (isBmp(bytes)) return decodeBmp(bytes, name, options);
  // The header's size, checked before sharp allocates anything (PNG: IHDR and the CRCs Pillow checks).
  const png = readPngHeader(bytes, name);
  const webp = png === undefined ? readWebpHeader(bytes) : undefined;
  const declared = png ?? webp ?? readJpegHeader(bytes);
  if (declared !== undefined) checkImagePixels(declared.width, declared.height, name, options);
  const input = png !== undefined ? withPngDataCrcsFixed(bytes) : bytes;
  let decoded: { data: Buffer; info: OutputInfo };
  let format: string | undefined;
  let space: string | undefined;
  let depth: string | undefined;
  let channels: number | undefined;
  let tiffChannels: number | undefined;
  try {
    // ved checks the pixel count itself (above), with Pillow's limit rather than sharp's.
    const image = sharp(input, { ignoreIcc: true, failOn: 'error', limitInputPixels: false });
    let width: number | undefined;
    let height: number | undefined;
    ({ format, space, width, height, depth, channels } = await image.metadata());
    if (declared === undefined && width !== undefined && height !== undefined) checkImagePixels(width, height, name, options);
    if (format !== 'png' && format !== 'jpeg' && format !== 'webp' && format !== 'tiff') {
      throw new VedError('INVALID_IMAGE', `${name}: ${format ?? 'unknown'} images are not supported; ved decodes PNG, JPEG, WebP, TIFF, GIF and BMP files.`);
    }
    if (space === 'cmyk') {
      throw new VedError('INVALID_IMAGE', `${name}: CMYK ${format === 'tiff' ? 'TIFF' : 'JPEG'}. PIL opens it as mode "CMYK", which ViT-style processors cannot normalise; convert the file to RGB first.`);
    }
    if (format === 'tiff' && depth !== 'uchar') {
      throw new VedError('INVALID_IMAGE', `${name}: a TIFF of ${depth ?? 'unknown'} samples; PIL opens 16-bit grayscale as "I;16" (16-bit integers), which ved does not reproduce: convert the file to 8 bits.`);
    }
    tiffChannels = channels;
    decoded = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (cause) {
    if (cause instanceof VedError) throw cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new VedError('INVALID_IMAGE', `${name}: cannot decode the image (corrupt, truncated or not an image): ${why}`, { cause });
  }
  const { data, info } = decoded;
  if (data.byteLength !== info.width * info.height * info.channels) {
    throw new VedError('INVALID_IMAGE', `${name}: the decoder returned ${data.byteLength} bytes for ${info.width}x${info.height}x${info.channels}; expected 8-bit samples.`);
  }
  const target: RawImage['channels'] =
    format === 'png'
      ? pngChannels(bytes, name, info.channels)
      : format === 'webp'
        ? (webp?.hasAlpha === true ? 4 : 3)
        : format === 'tiff'
          ? tiffTarget(tiffChannels ?? info.channels, name)
          : space === 'b-w'
            ? 1
            : 3;
  const pixels = info.width * info.height;
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { width: info.width, height: info.height, channels: target, data: selectChannels(src, pixels, info.channels, target, name) };
}

/** Reads and decodes an image file (see `decodeImage`). */
export async function readImageFile(path: string, options: DecodeImageOptions = {}): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VedError('FILE_NOT_FOUND', `${path}: no such image file.`, { cause });
    throw new VedError('INVALID_IMAGE', `${path}: cannot read the image file (${(cause as Error).message}).`, { cause });
  }
  return decodeImage(bytes, path, options);
}
