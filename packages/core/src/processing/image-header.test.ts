import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { VedError } from '../errors.js';
import {
  DEFAULT_MAX_IMAGE_PIXELS,
  PIL_MAX_IMAGE_PIXELS,
  checkImagePixels,
  checkMaxImagePixels,
  crc32,
  readJpegHeader,
  readPngHeader,
  withPngDataCrcsFixed,
  readWebpHeader,
} from './image-header.js';

const FIXTURES = join(import.meta.dirname, '../../../../fixtures/images');
const png = () => new Uint8Array(readFileSync(join(FIXTURES, 'rgb_64x20.png')));

/** Byte offset of the first chunk of `type`. */
function chunkAt(bytes: Uint8Array, type: string): { at: number; length: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === type) return { at, length };
    at += 12 + length;
  }
  throw new Error(`no ${type} chunk`);
}

function error(fn: () => unknown): VedError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VedError);
    return e as VedError;
  }
  throw new Error('expected an error');
}

describe('crc32', () => {
  it('equals zlib\'s', () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('IHDR'), png()]) expect(crc32(bytes)).toBe(zlibCrc32(bytes));
  });
});

describe('readPngHeader', () => {
  it('reads the IHDR of a PNG, nothing of other files', () => {
    expect(readPngHeader(png(), 'a.png')).toEqual({ width: 64, height: 20, depth: 8, colorType: 2, interlaced: false });
    expect(readPngHeader(new Uint8Array(readFileSync(join(FIXTURES, 'rgb_48x36.jpg'))), 'b.jpg')).toBeUndefined();
  });

  it('refuses a bad CRC before the image data, as Pillow does ("cannot identify image file"), naming the file and chunk', () => {
    const bytes = png();
    bytes[chunkAt(bytes, 'IHDR').at + 8 + 13] = bytes[chunkAt(bytes, 'IHDR').at + 8 + 13]! ^ 0xff;
    const err = error(() => readPngHeader(bytes, 'scan.png'));
    expect(err.code).toBe('INVALID_IMAGE');
    expect(err.message).toMatch(/^scan\.png: corrupt PNG: the "IHDR" chunk at byte 8 has CRC 0x[0-9a-f]{8}, but its data gives 0x[0-9a-f]{8}/);
  });

  it('ignores the CRCs of IDAT and later chunks (Pillow decodes such files) and fixes them in a copy for libpng', () => {
    const bytes = png();
    const idat = chunkAt(bytes, 'IDAT');
    bytes[idat.at + 8 + idat.length] = bytes[idat.at + 8 + idat.length]! ^ 0xff;
    expect(readPngHeader(bytes, 'x.png')?.width).toBe(64);
    const fixed = withPngDataCrcsFixed(bytes);
    expect(fixed).not.toBe(bytes);
    expect(fixed).toEqual(png());
    const intact = png();
    expect(withPngDataCrcsFixed(intact)).toBe(intact);
  });

  it('refuses a PNG signature without an IHDR', () => {
    expect(error(() => readPngHeader(png().subarray(0, 20), 'short.png')).message).toContain('missing IHDR');
  });
});

describe('readJpegHeader', () => {
  it('reads the frame header', () => {
    expect(readJpegHeader(new Uint8Array(readFileSync(join(FIXTURES, 'rgb_48x36.jpg'))))).toEqual({ width: 48, height: 36, components: 3 });
  });
});

describe('checkImagePixels (Pillow\'s _decompression_bomb_check)', () => {
  it('uses Pillow 12\'s limits: a warning above MAX_IMAGE_PIXELS, an error above twice it', () => {
    expect(PIL_MAX_IMAGE_PIXELS).toBe(89_478_485);
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(178_956_970);
    const warnings: string[] = [];
    const onWarning = (m: string) => warnings.push(m);
    checkImagePixels(9459, 9459, 'ok.png', { onWarning }); // 89 472 681 pixels
    expect(warnings).toEqual([]);
    checkImagePixels(10000, 10000, 'big.png', { onWarning });
    expect(warnings).toEqual(['big.png: image size (100000000 pixels) exceeds limit of 89478485 pixels, could be decompression bomb DOS attack.']);
    const err = error(() => checkImagePixels(16000, 16000, 'bomb.png', { onWarning }));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('bomb.png: the image is 16000x16000 (256000000 pixels), more than the limit of 178956970 pixels');
    expect(err.message).toContain('--max-image-pixels');
  });

  it('counts max(1, side) as Pillow does, and takes another limit or none', () => {
    expect(() => checkImagePixels(0, 100, 'z.png', { maxImagePixels: 99 })).toThrow(/100 pixels/);
    checkImagePixels(16000, 16000, 'genuine.png', { maxImagePixels: 300_000_000, onWarning: () => {} });
    checkImagePixels(1e6, 1e6, 'any.png', { maxImagePixels: null });
    checkImagePixels(1e6, 1e6, 'any.png', { maxImagePixels: Infinity });
  });

  it('checks the option', () => {
    for (const bad of [0, -5, 1.5, '100', Number.NaN]) {
      expect(error(() => checkMaxImagePixels(bad)).code).toBe('INVALID_OPTION');
    }
  });
});

describe('readWebpHeader', () => {
  const PROCESSING = join(import.meta.dirname, '../../../../fixtures/processing/images');
  it("reads the size and libwebp's alpha flag of lossy (VP8), lossless (VP8L) and extended (VP8X) files, as PIL opens them", () => {
    // fixtures/processing/cases.json: PIL's modes (RGB, RGB, RGBA, RGBA) and sizes of these files.
    const read = (name: string) => readWebpHeader(new Uint8Array(readFileSync(join(PROCESSING, name))));
    expect(read('webp_lossy_40x30.webp')).toEqual({ width: 40, height: 30, hasAlpha: false });
    expect(read('webp_lossless_24x20.webp')).toEqual({ width: 24, height: 20, hasAlpha: false });
    expect(read('webp_rgba_16x12.webp')).toEqual({ width: 16, height: 12, hasAlpha: true });
    expect(read('webp_semi_alpha_20x16.webp')).toEqual({ width: 20, height: 16, hasAlpha: true });
  });

  it('is undefined for other files and truncated headers', () => {
    expect(readWebpHeader(png())).toBeUndefined();
    const webp = new Uint8Array(readFileSync(join(PROCESSING, 'webp_lossy_40x30.webp')));
    expect(readWebpHeader(webp.subarray(0, 20))).toBeUndefined();
    const damaged = webp.slice();
    damaged[23] = 0; // not the VP8 start code
    expect(readWebpHeader(damaged)).toBeUndefined();
  });
});
