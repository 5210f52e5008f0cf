/**
 * BMP files → RawImage, holding what `np.array(PIL.Image.open(f))` holds after
 * ved's rules (palettes as RGB; PIL's bilevel mode "1" as L with 0 and 255).
 * Written by hand to follow Pillow 12's `BmpImagePlugin` (`BmpImageFile._bitmap`,
 * `BmpRleDecoder`) and its raw unpackers, because the result must be Pillow's
 * to the byte and no JavaScript library reads BMP as Pillow does:
 *
 * - headers of 12 (OS/2), 40, 52, 56, 64, 108 and 124 bytes; a negative height
 *   (top byte 0xFF) stores rows top-down, otherwise bottom-up;
 * - 1-, 4- and 8-bit palettes (3-byte entries after a 12-byte header, 4-byte
 *   otherwise): a palette that is the grey ramp (entry i = (i, i, i), or black
 *   and white for two colours) gives L, any other RGB; indices past the palette
 *   are black;
 * - 16 bits as 5-5-5 (or the 5-6-5 / 5-5-5 bit fields), 24 bits as BGR, 32 bits
 *   as BGRX (RGB), or as the bit-field layouts Pillow knows, with alpha → RGBA;
 * - RLE8 and RLE4 as `BmpRleDecoder` decodes them, its quirks included (an odd
 *   absolute run in RLE4 loses its last pixel, padding follows the file offset);
 * - the decompression-bomb check on the declared size, before any pixel is
 *   decoded; image data that ends early is "image file is truncated", as Pillow
 *   says; other layouts are refused as Pillow refuses them.
 *
 * Checked against Pillow on random and damaged BMPs by tools/reference/probe_random_bmps.py.
 */
import { VedError } from '../errors.js';
import { checkImagePixels, type ImageLimitOptions } from './image-header.js';
import type { RawImage } from './raw-image.js';

/** Whether `bytes` start with `BM`. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

const RAW = 0;
const RLE8 = 1;
const RLE4 = 2;
const BITFIELDS = 3;

/** Pillow's raw modes of 32-bit bit fields: `MASK_MODES` keyed by (r, g, b, a). */
const MASK_MODES_32: ReadonlyArray<[readonly [number, number, number, number], string]> = [
  [[0xff0000, 0xff00, 0xff, 0x0], 'BGRX'],
  [[0xff000000, 0xff0000, 0xff00, 0x0], 'XBGR'],
  [[0xff000000, 0xff00, 0xff, 0x0], 'BGXR'],
  [[0xff000000, 0xff0000, 0xff00, 0xff], 'ABGR'],
  [[0xff, 0xff00, 0xff0000, 0xff000000], 'RGBA'],
  [[0xff0000, 0xff00, 0xff, 0xff000000], 'BGRA'],
  [[0xff000000, 0xff00, 0xff, 0xff0000], 'BGAR'],
  [[0x0, 0x0, 0x0, 0x0], 'BGRA'],
];

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

export function decodeBmp(bytes: Uint8Array, name: string, options: ImageLimitOptions = {}): RawImage {
  const bad = (why: string): never => {
    throw new VedError('INVALID_IMAGE', `${name}: ${why}`);
  };
  const truncated = (): never => bad('the BMP file is truncated (PIL raises "image file is truncated").');
  if (!isBmp(bytes) || bytes.length < 18) bad('not a valid BMP file (no header).');
  let offset = u32(bytes, 10);
  const headerSize = u32(bytes, 14);
  let at = 18;
  const h = bytes.subarray(at, at + headerSize - 4);
  if (![12, 40, 52, 56, 64, 108, 124].includes(headerSize)) bad(`unsupported BMP header size ${headerSize} (Pillow reads 12, 40, 52, 56, 64, 108 and 124).`);
  if (h.length < headerSize - 4) truncated();
  at += headerSize - 4;
  let width: number;
  let height: number;
  let bits: number;
  let compression: number;
  let colors: number;
  let topDown = false;
  let paletteEntry: number;
  let masks: number[] | undefined;
  if (headerSize === 12) {
    width = u16(h, 0);
    height = u16(h, 2);
    bits = u16(h, 6);
    compression = RAW;
    colors = 0;
    paletteEntry = 3;
  } else {
    topDown = h[7] === 0xff;
    width = u32(h, 0);
    height = topDown ? 2 ** 32 - u32(h, 4) : u32(h, 4);
    bits = u16(h, 10);
    compression = u32(h, 12);
    colors = u32(h, 28);
    paletteEntry = 4;
    if (compression === BITFIELDS) {
      if (h.length >= 48) {
        masks = [u32(h, 36), u32(h, 40), u32(h, 44), h.length >= 52 ? u32(h, 48) : 0];
      } else {
        // The masks follow a 40-byte header in the file.
        if (at + 12 > bytes.length) truncated();
        masks = [u32(bytes, at), u32(bytes, at + 4), u32(bytes, at + 8), 0];
        at += 12;
      }
    }
  }
  if (!colors) colors = 2 ** bits;
  if (offset === 14 + headerSize && bits <= 8) offset += paletteEntry * colors;

  // Pillow's mode and raw mode.
  let mode: 'P' | 'RGB' | 'RGBA' | 'L' | '1';
  let raw: string;
  switch (bits) {
    case 1:
    case 4:
    case 8:
      mode = 'P';
      raw = bits === 8 ? 'P' : `P;${bits}`;
      break;
    case 16:
      mode = 'RGB';
      raw = 'BGR;15';
      break;
    case 24:
      mode = 'RGB';
      raw = 'BGR';
      break;
    case 32:
      mode = 'RGB';
      raw = 'BGRX';
      break;
    default:
      return bad(`unsupported BMP pixel depth (${bits} bits; Pillow reads 1, 4, 8, 16, 24 and 32).`);
  }
  let rle = false;
  if (compression === BITFIELDS) {
    const [r, g, b, a] = masks!;
    const found = bits === 32 ? MASK_MODES_32.find(([m]) => m[0] === r && m[1] === g && m[2] === b && m[3] === a)?.[1] : undefined;
    if (found !== undefined) {
      raw = found;
      if (found.includes('A')) mode = 'RGBA';
    } else if (bits === 24 && r === 0xff0000 && g === 0xff00 && b === 0xff) raw = 'BGR';
    else if (bits === 16 && r === 0xf800 && g === 0x7e0 && b === 0x1f) raw = 'BGR;16';
    else if (bits === 16 && r === 0x7c00 && g === 0x3e0 && b === 0x1f) raw = 'BGR;15';
    else bad('unsupported BMP bit-field layout (Pillow refuses it too).');
  } else if (compression === RLE8 || compression === RLE4) {
    rle = true;
  } else if (compression !== RAW) {
    bad(`unsupported BMP compression ${compression} (Pillow reads raw, RLE8, RLE4 and bit fields).`);
  }

  let palette: Uint8Array | undefined;
  if (mode === 'P') {
    if (!(colors > 0 && colors <= 65536)) bad(`unsupported BMP palette size (${colors} colours).`);
    palette = bytes.subarray(at, Math.min(bytes.length, at + paletteEntry * colors));
    let grey = true;
    const count = colors === 2 ? 2 : colors;
    for (let i = 0; i < count && grey; i++) {
      const v = colors === 2 ? (i === 0 ? 0 : 255) : i;
      const e = i * paletteEntry;
      // palette[ind * padding : ind * padding + 3] == o8(val) * 3, on possibly short bytes
      if (e + 3 > palette.length || palette[e] !== v || palette[e + 1] !== v || palette[e + 2] !== v) grey = false;
    }
    if (!grey && Math.floor(palette.length / paletteEntry) > 256) {
      bad(`the BMP's palette holds ${Math.floor(palette.length / paletteEntry)} colours, more than 256 (PIL raises "invalid palette size").`);
    }
    if (grey) {
      mode = colors === 2 ? '1' : 'L';
      // Pillow's raw mode is the image mode itself, whatever the depth (a 4-bit grey ramp reads 8 bits a pixel).
      raw = mode;
    }
  }
  if (!(width > 0 && height > 0)) bad(`the BMP declares a size of ${width}x${height}; Pillow cannot identify it.`);
  checkImagePixels(width, height, name, options);

  // Pixel values as Pillow's image holds them: indices (P, L, 1) or RGB(A) bytes, top row first.
  const channelsOut = mode === 'RGBA' ? 4 : mode === 'RGB' ? 3 : 1;
  const pixels = new Uint8Array(width * height * channelsOut);
  if (rle) {
    if (mode === '1') bad('an RLE-compressed BMP with a black-and-white palette, which Pillow cannot decode.');
    decodeRle(bytes, offset, width, height, compression === RLE4, topDown, pixels, truncated);
  } else {
    const stride = (((width * bits + 31) >> 3) & ~3) >>> 0;
    // The last row needs its samples, not its padding.
    const rowBytes = Math.ceil((width * (raw === 'L' || raw === 'P' ? 8 : raw === '1' ? 1 : bits)) / 8);
    if (offset + stride * (height - 1) + rowBytes > bytes.length) truncated();
    for (let row = 0; row < height; row++) {
      const y = topDown ? row : height - 1 - row;
      unpackRow(bytes, offset + row * stride, width, raw, pixels, y * width * channelsOut);
    }
  }

  if (mode === 'P') {
    // P → RGB through the palette (BGR or BGRX entries); indices past it are black.
    const entries = Math.floor(palette!.length / paletteEntry);
    const out = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const i = pixels[p]!;
      if (i < entries) {
        const e = i * paletteEntry;
        out[p * 3] = palette![e + 2]!;
        out[p * 3 + 1] = palette![e + 1]!;
        out[p * 3 + 2] = palette![e]!;
      }
    }
    return { width, height, channels: 3, data: out };
  }
  return { width, height, channels: channelsOut as RawImage['channels'], data: pixels };
}

/** One row of raw samples (Pillow's unpackers `P;1`, `P;4`, `P`, `1`, `L;n`, `BGR;15`, `BGR;16`, `BGR`, and the 32-bit layouts). */
function unpackRow(src: Uint8Array, at: number, width: number, raw: string, out: Uint8Array, o: number): void {
  switch (raw) {
    case 'P;1':
      for (let x = 0; x < width; x++) out[o + x] = (src[at + (x >> 3)]! >> (7 - (x & 7))) & 1;
      return;
    case '1':
      for (let x = 0; x < width; x++) out[o + x] = ((src[at + (x >> 3)]! >> (7 - (x & 7))) & 1) * 255;
      return;
    case 'P;4':
      for (let x = 0; x < width; x++) out[o + x] = (src[at + (x >> 1)]! >> (x & 1 ? 0 : 4)) & 15;
      return;
    case 'P':
    case 'L':
      out.set(src.subarray(at, at + width), o);
      return;
    case 'BGR;15':
      for (let x = 0; x < width; x++) {
        const p = src[at + 2 * x]! | (src[at + 2 * x + 1]! << 8);
        out[o + 3 * x] = Math.floor((((p >> 10) & 31) * 255) / 31);
        out[o + 3 * x + 1] = Math.floor((((p >> 5) & 31) * 255) / 31);
        out[o + 3 * x + 2] = Math.floor(((p & 31) * 255) / 31);
      }
      return;
    case 'BGR;16':
      for (let x = 0; x < width; x++) {
        const p = src[at + 2 * x]! | (src[at + 2 * x + 1]! << 8);
        out[o + 3 * x] = Math.floor((((p >> 11) & 31) * 255) / 31);
        out[o + 3 * x + 1] = Math.floor((((p >> 5) & 63) * 255) / 63);
        out[o + 3 * x + 2] = Math.floor(((p & 31) * 255) / 31);
      }
      return;
    case 'BGR':
      for (let x = 0; x < width; x++) {
        out[o + 3 * x] = src[at + 3 * x + 2]!;
        out[o + 3 * x + 1] = src[at + 3 * x + 1]!;
        out[o + 3 * x + 2] = src[at + 3 * x]!;
      }
      return;
    default: {
      // 32-bit layouts: each letter names the channel of one byte.
      const alpha = raw.includes('A');
      const n = alpha ? 4 : 3;
      const pos = { R: raw.indexOf('R'), G: raw.indexOf('G'), B: raw.indexOf('B'), A: raw.indexOf('A') };
      for (let x = 0; x < width; x++) {
        const s = at + 4 * x;
        out[o + n * x] = src[s + pos.R]!;
        out[o + n * x + 1] = src[s + pos.G]!;
        out[o + n * x + 2] = src[s + pos.B]!;
        if (alpha) out[o + n * x + 3] = src[s + pos.A]!;
      }
    }
  }
}

/** `BmpRleDecoder.decode`, then `set_as_raw` with the file's row order. */
function decodeRle(src: Uint8Array, start: number, width: number, height: number, rle4: boolean, topDown: boolean, out: Uint8Array, truncated: () => never): void {
  const total = width * height;
  const data = new Uint8Array(total);
  let n = 0; // pixels written (may pass the end in Python: the extra bytes are ignored)
  const push = (v: number) => {
    if (n < total) data[n] = v;
    n++;
  };
  let x = 0;
  let at = start;
  while (n < total) {
    if (at + 2 > src.length) break;
    let count = src[at]!;
    const byte = src[at + 1]!;
    at += 2;
    if (count) {
      if (x + count > width) count = Math.max(0, width - x);
      if (rle4) for (let i = 0; i < count; i++) push(i % 2 === 0 ? byte >> 4 : byte & 0x0f);
      else for (let i = 0; i < count; i++) push(byte);
      x += count;
    } else if (byte === 0) {
      while (n % width !== 0) push(0);
      x = 0;
    } else if (byte === 1) {
      break;
    } else if (byte === 2) {
      if (at + 2 > src.length) break;
      const right = src[at]!;
      const up = src[at + 1]!;
      at += 2;
      for (let i = 0; i < right + up * width; i++) push(0);
      x = n % width;
    } else {
      const want = rle4 ? byte >> 1 : byte;
      const got = Math.min(want, src.length - at);
      for (let i = 0; i < got; i++) {
        const b = src[at + i]!;
        if (rle4) {
          push(b >> 4);
          push(b & 0x0f);
        } else push(b);
      }
      at += got;
      if (got < want) break;
      x += byte;
      if (at % 2 !== 0) at += 1;
    }
  }
  // set_as_raw: fewer pixels than the image has is "not enough image data".
  if (n < total) truncated();
  for (let row = 0; row < height; row++) {
    const y = topDown ? row : height - 1 - row;
    out.set(data.subarray(row * width, (row + 1) * width), y * width);
  }
}
