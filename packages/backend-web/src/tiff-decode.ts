/**
 * TIFF files in the browser, which does not decode TIFF: the first page, as
 * `np.array(PIL.Image.open(f))` holds it after ved's rules (backend-node reads
 * TIFF with libtiff, as Pillow does). The compressed strips or tiles are
 * decoded by UTIF.js (npm `utif2`: raw, PackBits, LZW, deflate, CCITT group 3
 * and 4, JPEG; loaded only when a TIFF arrives); the samples are read here, by
 * the same rules as Pillow's `TiffImagePlugin` (`OPEN_INFO`):
 *
 * - bilevel (1 bit, BlackIsZero or WhiteIsZero) → L with 0 and 255;
 * - 8-bit gray → L (WhiteIsZero inverted), gray + alpha → LA;
 * - 8-bit RGB → RGB, with unassociated alpha (ExtraSamples 2) → RGBA;
 * - a palette of 1, 2, 4 or 8 bits → RGB, each 16-bit colour map entry
 *   divided by 256 (`ColorMap // 256`, as Pillow reads it).
 *
 * 16-bit samples, CMYK, premultiplied alpha and separate planes are refused
 * by name (Node refuses the first two too). JPEG-compressed TIFFs decode
 * through UTIF's own JPEG decoder, within a level of libjpeg's, as browser
 * JPEGs are.
 */
import { VedError, checkImagePixels, type ImageLimitOptions, type RawImage } from '@ved/core';

/** The part of UTIF.js's API used here (an IFD is a map of `t<tag>` arrays, plus width, height and data once decoded). */
interface Ifd {
  [tag: string]: unknown;
  data?: Uint8Array;
  width?: number;
  height?: number;
}
interface Utif {
  decode(buffer: ArrayBuffer): Ifd[];
  decodeImage(buffer: ArrayBuffer, ifd: Ifd): void;
}

let utif: Promise<Utif> | undefined;
async function loadUtif(): Promise<Utif> {
  utif ??= import('utif2').then((m) => ((m as { default?: Utif }).default ?? (m as unknown as Utif)));
  return utif;
}

/** Whether `bytes` start with a TIFF header (little- or big-endian). */
export function isTiff(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ((bytes[0] === 0x49 && bytes[1] === 0x49 && bytes[2] === 0x2a && bytes[3] === 0) || (bytes[0] === 0x4d && bytes[1] === 0x4d && bytes[2] === 0 && bytes[3] === 0x2a));
}

function tag(ifd: Ifd, n: number): number[] | undefined {
  const v = ifd[`t${n}`];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

export async function decodeTiff(bytes: Uint8Array, name: string, options: ImageLimitOptions = {}): Promise<RawImage> {
  const UTIF = await loadUtif();
  const buffer = bytes.slice().buffer as ArrayBuffer;
  const refuse = (why: string): never => {
    throw new VedError('INVALID_IMAGE', `${name}: ${why}`);
  };
  checkFirstDirectory(bytes, name);
  let ifds: Ifd[];
  try {
    ifds = UTIF.decode(buffer);
  } catch (cause) {
    throw new VedError('INVALID_IMAGE', `${name}: not a valid TIFF (${String((cause as Error)?.message ?? cause)}).`, { cause });
  }
  const ifd = ifds[0];
  const width = tag(ifd ?? {}, 256)?.[0];
  const height = tag(ifd ?? {}, 257)?.[0];
  if (ifd === undefined || width === undefined || height === undefined || !(width > 0) || !(height > 0)) refuse('not a valid TIFF (no image size in its first directory).');
  checkImagePixels(width!, height!, name, options);

  const photometric = tag(ifd!, 262)?.[0] ?? (tag(ifd!, 258)?.[0] === 1 ? 0 : 2);
  const bits = tag(ifd!, 258) ?? [1];
  const samples = tag(ifd!, 277)?.[0] ?? bits.length;
  const extra = tag(ifd!, 338)?.[0];
  const bps = bits[0]!;
  if (bits.some((b) => b !== bps)) refuse(`a TIFF with mixed bits per sample (${bits.join(', ')}); ved reads 1- and 8-bit samples.`);
  if (bps === 16 || bps === 32) {
    refuse(`${bps}-bit TIFF. PIL opens it with ${bps}-bit values (mode "I;16" or "F"), which ViT-style processors do not read as 8-bit pixels; convert the file to 8-bit first.`);
  }
  if (photometric === 5) refuse('CMYK TIFF. PIL opens it as mode "CMYK", which ViT-style processors cannot normalise; convert the file to RGB first.');
  if ((tag(ifd!, 284)?.[0] ?? 1) === 2 && samples > 1) refuse('a TIFF with separate colour planes (PlanarConfiguration 2); ved reads interleaved samples in the browser (on Node, libtiff reads both).');
  if (samples > 1 && extra === 1) refuse('a TIFF with premultiplied alpha (ExtraSamples 1); ved reads unassociated alpha in the browser (on Node, libtiff reads both).');

  const compression = tag(ifd!, 259)?.[0] ?? 1;
  if ((compression === 6 || compression === 7) && (photometric === 0 || photometric === 1)) {
    refuse('a JPEG-compressed grayscale TIFF, which the browser\'s TIFF reader does not decode as libjpeg does; convert it to PNG (on Node, libtiff reads it).');
  }
  // The image data must lie inside the file (Pillow: "image file is truncated"); UTIF.js would read zeros.
  const offsets = tag(ifd!, 273) ?? tag(ifd!, 324);
  const counts = tag(ifd!, 279) ?? tag(ifd!, 325);
  if (offsets === undefined || counts === undefined || counts.length < offsets.length) refuse('not a valid TIFF (its first image has no strip or tile offsets and byte counts).');
  offsets!.forEach((offset, i) => {
    if (!(offset >= 0 && offset + counts![i]! <= bytes.length)) refuse(`the TIFF is truncated (image data at bytes ${offset}–${offset + counts![i]!}, past its end at ${bytes.length}; PIL raises "image file is truncated").`);
  });
  try {
    UTIF.decodeImage(buffer, ifd!);
  } catch (cause) {
    throw new VedError('INVALID_IMAGE', `${name}: the TIFF's image data cannot be decoded (${String((cause as Error)?.message ?? cause)}).`, { cause });
  }
  const w = width!;
  const h = height!;
  const data = ifd!.data;
  const rowBytes = Math.ceil((samples * bps * w) / 8);
  if (!(data instanceof Uint8Array) || data.length < rowBytes * h) refuse(`the TIFF's image data is truncated (${data?.length ?? 0} bytes decoded, ${rowBytes * h} expected).`);
  const src = data!;
  const pixels = w * h;

  const kind = `${photometric}/${samples}/${bps}`;
  if ((photometric === 0 || photometric === 1) && samples === 1 && (bps === 1 || bps === 8)) {
    // Bilevel as L (0/255, as 1-bit PNGs), gray as is; WhiteIsZero inverted.
    const out = new Uint8Array(pixels);
    const invert = photometric === 0;
    for (let y = 0; y < h; y++) {
      const row = y * rowBytes;
      for (let x = 0; x < w; x++) {
        const v = bps === 1 ? (((src[row + (x >> 3)]! >> (7 - (x & 7))) & 1) * 255) : src[row + x]!;
        out[y * w + x] = invert ? 255 - v : v;
      }
    }
    return { width: w, height: h, channels: 1, data: out };
  }
  if (kind === '1/2/8' && (extra === undefined || extra === 2 || extra === 0)) return { width: w, height: h, channels: 2, data: rows(src, w, h, 2, rowBytes) };
  if (kind === '2/3/8') return { width: w, height: h, channels: 3, data: rows(src, w, h, 3, rowBytes) };
  if (kind === '2/4/8' && extra === 2) return { width: w, height: h, channels: 4, data: rows(src, w, h, 4, rowBytes) };
  if (photometric === 3 && samples === 1 && [1, 2, 4, 8].includes(bps)) {
    const map = tag(ifd!, 320);
    const entries = 1 << bps;
    if (map === undefined || map.length < 3 * entries) refuse(`a palette TIFF without a full ColorMap (${map?.length ?? 0} values, ${3 * entries} expected).`);
    const out = new Uint8Array(pixels * 3);
    const perByte = 8 / bps;
    for (let y = 0; y < h; y++) {
      const row = y * rowBytes;
      for (let x = 0; x < w; x++) {
        const i = bps === 8 ? src[row + x]! : (src[row + Math.floor(x / perByte)]! >> (8 - bps * ((x % perByte) + 1))) & (entries - 1);
        const o = (y * w + x) * 3;
        out[o] = map![i]! >> 8;
        out[o + 1] = map![entries + i]! >> 8;
        out[o + 2] = map![2 * entries + i]! >> 8;
      }
    }
    return { width: w, height: h, channels: 3, data: out };
  }
  return refuse(`a TIFF with PhotometricInterpretation ${photometric}, ${samples} sample(s) of ${bps} bit(s)${extra === undefined ? '' : `, ExtraSamples ${extra}`}; in the browser ved reads bilevel, 8-bit gray (with alpha), RGB, RGBA and palette TIFFs (on Node, every kind libtiff reads).`);
}

/** Sizes of TIFF field types (TIFF 6.0, section 2; BigTIFF's 8-byte types included). */
const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

/**
 * The first image file directory and every value it points to must lie inside the file: Pillow fails on a
 * cut directory ("cannot identify image file"), where UTIF.js reads past the end as zeros.
 */
function checkFirstDirectory(bytes: Uint8Array, name: string): void {
  const truncated = () => new VedError('INVALID_IMAGE', `${name}: the TIFF is truncated or corrupt (its first image directory reaches past the end of the file; PIL cannot identify it).`);
  if (bytes.length < 8) throw truncated();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49;
  const at = view.getUint32(4, little);
  if (at + 2 > bytes.length) throw truncated();
  const entries = view.getUint16(at, little);
  if (at + 2 + 12 * entries + 4 > bytes.length) throw truncated();
  for (let i = 0; i < entries; i++) {
    const e = at + 2 + 12 * i;
    const size = (TYPE_SIZE[view.getUint16(e + 2, little)] ?? 1) * view.getUint32(e + 4, little);
    if (size > 4 && view.getUint32(e + 8, little) + size > bytes.length) throw truncated();
  }
}

/** The interleaved 8-bit samples of every row, without the rows' padding (there is none at 8 bits). */
function rows(src: Uint8Array, w: number, h: number, channels: number, rowBytes: number): Uint8Array {
  if (rowBytes === w * channels && src.length === w * h * channels) return src.slice();
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) out.set(src.subarray(y * rowBytes, y * rowBytes + w * channels), y * w * channels);
  return out;
}
