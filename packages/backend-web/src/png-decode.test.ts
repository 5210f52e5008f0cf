/**
 * The PNG decoder on Node (DecompressionStream is global there too): the
 * fixture PNGs against PIL's arrays, and PNGs written here in every colour
 * type, bit depth and filter, interlaced and not.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '@ved/core';
import { decodePng } from './png-decode.js';
import { readImageHeader } from './image-format.js';
import { withoutExifOrientation } from './image-input.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/processing/', import.meta.url));
const meta = JSON.parse(readFileSync(FIXTURES + 'cases.json', 'utf8')) as { images: Array<{ name: string; key?: string; mode: string }> };
const decoded = parseSafetensors(new Uint8Array(readFileSync(FIXTURES + 'decoded.safetensors')), 'decoded.safetensors');

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Packs `samples` (one row-major array of sample values) into PNG rows with the given filter. */
function packRows(samples: number[], width: number, height: number, perPixel: number, depth: number, filter: number): Uint8Array {
  const stride = Math.ceil((width * perPixel * depth) / 8);
  const bpp = Math.max(1, (perPixel * depth) >> 3);
  const rows: Uint8Array[] = [];
  for (let y = 0; y < height; y++) {
    const row = new Uint8Array(stride);
    for (let i = 0; i < width * perPixel; i++) {
      const v = samples[y * width * perPixel + i]!;
      if (depth === 16) {
        row[2 * i] = v >> 8;
        row[2 * i + 1] = v & 255;
      } else if (depth === 8) row[i] = v;
      else row[(i * depth) >> 3] = row[(i * depth) >> 3]! | (v << (8 - depth - ((i * depth) & 7)));
    }
    rows.push(row);
  }
  const out = new Uint8Array(height * (stride + 1));
  rows.forEach((row, y) => {
    const prev = rows[y - 1] ?? new Uint8Array(stride);
    out[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const p = a + b - c;
      const predictor = [0, a, b, (a + b) >> 1, Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][filter]!;
      out[y * (stride + 1) + 1 + i] = (row[i]! - predictor) & 255;
    }
  });
  return out;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function encodePng(o: { width: number; height: number; colorType: number; depth: number; samples: number[]; interlace?: boolean; filter?: number; palette?: number[]; trns?: number[] }): Uint8Array {
  const perPixel = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[o.colorType]!;
  const filter = o.filter ?? 0;
  let raw: Uint8Array;
  if (!o.interlace) raw = packRows(o.samples, o.width, o.height, perPixel, o.depth, filter);
  else {
    const parts: Uint8Array[] = [];
    for (const [x0, y0, dx, dy] of ADAM7) {
      const w = Math.ceil((o.width - x0!) / dx!);
      const h = Math.ceil((o.height - y0!) / dy!);
      if (w <= 0 || h <= 0) continue;
      const sub: number[] = [];
      for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) for (let c = 0; c < perPixel; c++) sub.push(o.samples[((y0! + j * dy!) * o.width + x0! + i * dx!) * perPixel + c]!);
      parts.push(packRows(sub, w, h, perPixel, o.depth, filter));
    }
    raw = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (raw.set(p, at), at + p.length), 0);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, o.width);
  v.setUint32(4, o.height);
  ihdr.set([o.depth, o.colorType, 0, 0, o.interlace ? 1 : 0], 8);
  const chunks = [chunk('IHDR', ihdr)];
  if (o.palette) chunks.push(chunk('PLTE', Uint8Array.from(o.palette)));
  if (o.trns) chunks.push(chunk('tRNS', Uint8Array.from(o.trns)));
  chunks.push(chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0)));
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return Uint8Array.from([...sig, ...chunks.flatMap((c) => [...c])]);
}

const W = 13;
const H = 11;
const noise = (n: number, max: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 2654435761 + seed * 97) >>> 7) % (max + 1));

describe('decodePng', () => {
  it('equals PIL on every fixture PNG (L, LA, RGB, RGBA, palette ± tRNS, 1/4/16-bit)', async () => {
    const pngs = meta.images.filter((e) => e.key !== undefined && e.name.endsWith('.png'));
    expect(pngs.length).toBeGreaterThan(15);
    for (const e of pngs) {
      const img = await decodePng(new Uint8Array(readFileSync(FIXTURES + 'images/' + e.name)), e.name);
      expect([img.height, img.width, img.channels], e.name).toEqual(decoded.info(e.key!).shape);
      expect(img.data, e.name).toEqual(decoded.getRaw(e.key!));
    }
  });

  for (const interlace of [false, true]) {
    for (const filter of [0, 1, 2, 3, 4]) {
      it(`${interlace ? 'Adam7-interlaced' : 'plain'} PNGs with filter ${filter}: every colour type and depth`, async () => {
        const cases = [
          { colorType: 0, depth: 1, channels: 1, max: 1, out: (v: number) => [v * 255] },
          { colorType: 0, depth: 2, channels: 1, max: 3, out: (v: number) => [v * 85] },
          { colorType: 0, depth: 4, channels: 1, max: 15, out: (v: number) => [v * 17] },
          { colorType: 0, depth: 8, channels: 1, max: 255, out: (v: number) => [v] },
          { colorType: 2, depth: 8, channels: 3, max: 255 },
          { colorType: 2, depth: 16, channels: 3, max: 65535 },
          { colorType: 4, depth: 8, channels: 2, max: 255 },
          { colorType: 6, depth: 8, channels: 4, max: 255 },
          { colorType: 6, depth: 16, channels: 4, max: 65535 },
        ];
        for (const c of cases) {
          const perPixel = { 0: 1, 2: 3, 4: 2, 6: 4 }[c.colorType]!;
          const samples = noise(W * H * perPixel, c.max, c.colorType * 31 + c.depth);
          const img = await decodePng(encodePng({ width: W, height: H, colorType: c.colorType, depth: c.depth, samples, interlace, filter }), 'x.png');
          const want = c.out ? samples.flatMap(c.out) : c.depth === 16 ? samples.map((v) => v >> 8) : samples;
          expect(img.channels, `${c.colorType}/${c.depth}`).toBe(c.channels);
          expect([...img.data], `${c.colorType}/${c.depth}`).toEqual(want);
        }
        // 16-bit gray + alpha opens as RGBA in PIL (high bytes).
        const la = noise(W * H * 2, 65535, 5);
        const img = await decodePng(encodePng({ width: W, height: H, colorType: 4, depth: 16, samples: la, interlace, filter }), 'la16.png');
        expect(img.channels).toBe(4);
        expect([...img.data]).toEqual(Array.from({ length: W * H }, (_, p) => [la[2 * p]! >> 8, la[2 * p]! >> 8, la[2 * p]! >> 8, la[2 * p + 1]! >> 8]).flat());
        // Palette, 4-bit, with transparency for the first entries only.
        const palette = noise(16 * 3, 255, 9);
        const indices = noise(W * H, 15, 3);
        const pal = await decodePng(encodePng({ width: W, height: H, colorType: 3, depth: 4, samples: indices, interlace, filter, palette, trns: [0, 128, 255] }), 'p.png');
        expect(pal.channels).toBe(4);
        expect([...pal.data]).toEqual(indices.flatMap((i) => [palette[3 * i]!, palette[3 * i + 1]!, palette[3 * i + 2]!, [0, 128, 255][i] ?? 255]));
      });
    }
  }

  it('refuses 16-bit gray and corrupt or truncated files with INVALID_IMAGE naming the file', async () => {
    const g16 = encodePng({ width: 2, height: 2, colorType: 0, depth: 16, samples: [1, 2, 3, 4] });
    await expect(decodePng(g16, 'g16.png')).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringContaining('16-bit grayscale') });
    const ok = encodePng({ width: W, height: H, colorType: 2, depth: 8, samples: noise(W * H * 3, 255, 1) });
    await expect(decodePng(ok.subarray(0, ok.length - 30), 'cut.png')).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringContaining('cut.png') });
    await expect(decodePng(ok.subarray(0, 20), 'head.png')).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
  });
});

describe('image headers', () => {
  it("read a WebP's alpha flag as PIL's channels, and leave TIFF to ved's own decoder", () => {
    const read = (name: string) => readImageHeader(new Uint8Array(readFileSync(FIXTURES + 'images/' + name)), name);
    expect(read('webp_lossy_40x30.webp')).toEqual({ format: 'webp', channels: 3 });
    expect(read('webp_semi_alpha_20x16.webp')).toEqual({ format: 'webp', channels: 4 });
    expect(read('tiff_l_lzw_32x24.tif')).toEqual({ format: 'tiff', channels: undefined });
  });


  it('read PIL\'s channel count from PNG and JPEG headers, and refuse CMYK JPEG', () => {
    const jpeg = new Uint8Array(readFileSync(FIXTURES + 'images/jpeg_l_40x30.jpg'));
    expect(readImageHeader(jpeg, 'l.jpg')).toEqual({ format: 'jpeg', channels: 1 });
    expect(readImageHeader(new Uint8Array(readFileSync(FIXTURES + 'images/jpeg_rgb_64x48.jpg')), 'rgb.jpg')).toEqual({ format: 'jpeg', channels: 3 });
    expect(readImageHeader(new Uint8Array(readFileSync(FIXTURES + 'images/p_trns_20x20.png')), 'p.png')).toEqual({ format: 'png', channels: 4 });
    let components = 2;
    while (!(jpeg[components + 1]! >= 0xc0 && jpeg[components + 1]! <= 0xc2)) components += 2 + ((jpeg[components + 2]! << 8) | jpeg[components + 3]!);
    components += 9; // the frame header's component count
    const cmyk = jpeg.slice();
    cmyk[components] = 4;
    expect(() => readImageHeader(cmyk, 'cmyk.jpg')).toThrow(/CMYK/);
    const twoComponents = jpeg.slice();
    twoComponents[components] = 2;
    expect(() => readImageHeader(twoComponents, 'two.jpg')).toThrow('two.jpg: JPEG with 2 components; expected 1 (gray) or 3 (colour).');
    expect(() => readImageHeader(jpeg.slice(0, 20), 'cut.jpg')).toThrow('cut.jpg: not a valid JPEG (no frame header).');
    expect(readImageHeader(new TextEncoder().encode('GIF89a....'), 'x.gif')).toEqual({ format: 'gif', channels: undefined });
  });

  it('reset a JPEG\'s EXIF orientation to 1 in a copy', () => {
    const bytes = new Uint8Array(readFileSync(FIXTURES + 'images/jpeg_exif6_32x16.jpg'));
    const reset = withoutExifOrientation(bytes);
    expect(reset).not.toBe(bytes);
    expect(reset.length).toBe(bytes.length);
    expect(withoutExifOrientation(reset)).toBe(reset);
    expect([...bytes].filter((b, i) => b !== reset[i]).length).toBe(1);
  });
});
