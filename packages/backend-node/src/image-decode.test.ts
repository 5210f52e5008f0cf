/**
 * decodeImage against the arrays PIL decodes (fixtures/processing, written by
 * tools/reference/make_processing_fixtures.py): PNG exact, JPEG within one level.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VedError } from '@ved/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, readImageFile } from './image-decode.js';

const DIR = fileURLToPath(new URL('../../../fixtures/processing/', import.meta.url));

interface ImageEntry {
  name: string;
  mode: string;
  width: number;
  height: number;
  channels?: number;
  key?: string;
  decode_error?: string;
}

const meta = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')) as { images: ImageEntry[] };

/** The uint8 arrays of decoded.safetensors (a minimal reader: the file holds U8 tensors only). */
function readDecoded(): Map<string, { shape: number[]; bytes: Uint8Array }> {
  const buf = new Uint8Array(readFileSync(DIR + 'decoded.safetensors'));
  const headerLen = Number(new DataView(buf.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { shape: number[]; bytes: Uint8Array }>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    expect(t.dtype).toBe('U8');
    out.set(name, { shape: t.shape, bytes: buf.subarray(8 + headerLen + t.data_offsets[0], 8 + headerLen + t.data_offsets[1]) });
  }
  return out;
}
const decoded = readDecoded();

async function errorOf(p: Promise<unknown>): Promise<VedError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VedError);
    return e as VedError;
  }
  throw new Error('expected a VedError');
}

describe('decodeImage matches np.array(PIL.Image.open(f))', () => {
  for (const entry of meta.images.filter((e) => e.key !== undefined)) {
    const isJpeg = entry.name.endsWith('.jpg');
    it(`${entry.name} (PIL mode ${entry.mode})${isJpeg ? ', within 1 level' : ', exact'}`, async () => {
      const want = decoded.get(entry.key!)!;
      const img = await readImageFile(DIR + 'images/' + entry.name);
      expect([img.height, img.width, img.channels]).toEqual(want.shape);
      let worst = 0;
      for (let i = 0; i < want.bytes.length; i++) worst = Math.max(worst, Math.abs(img.data[i]! - want.bytes[i]!));
      expect(worst).toBeLessThanOrEqual(isJpeg ? 1 : 0);
    });
  }

  it('does not apply EXIF orientation (PIL does not rotate on open)', async () => {
    const img = await readImageFile(DIR + 'images/jpeg_exif6_32x16.jpg');
    expect([img.width, img.height]).toEqual([32, 16]);
  });
});

describe('decodeImage errors name the file', () => {
  const png = readFileSync(DIR + 'images/rgb_64x48.png');
  const jpg = readFileSync(DIR + 'images/jpeg_rgb_64x48.jpg');

  it('rejects corrupt, truncated and empty data', async () => {
    for (const [name, bytes] of [
      ['photos/truncated.png', png.subarray(0, png.length >> 1)],
      ['photos/truncated.jpg', jpg.subarray(0, jpg.length >> 1)],
      ['photos/garbage.png', new TextEncoder().encode('definitely not an image')],
      ['photos/empty.png', new Uint8Array(0)],
    ] as const) {
      const err = await errorOf(decodeImage(bytes, name));
      expect(err.code).toBe('INVALID_IMAGE');
      expect(err.message).toContain(name);
    }
  });

  it('rejects a 16-bit grayscale PNG, which PIL reads as 16-bit integers', async () => {
    const err = await errorOf(readImageFile(DIR + 'images/g16_7x5.png'));
    expect(err.code).toBe('INVALID_IMAGE');
    expect(err.message).toMatch(/g16_7x5\.png: 16-bit grayscale PNG/);
  });

  it('rejects formats other than PNG, JPEG, WebP, TIFF, GIF and BMP', async () => {
    const avif = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#102030' } }).avif().toBuffer();
    const err = await errorOf(decodeImage(avif, 'a.avif'));
    expect(err.message).toMatch(/a\.avif: heif images are not supported; ved decodes PNG, JPEG, WebP, TIFF, GIF and BMP files/);
  });

  it('decodes a GIF with core\'s decoder (the first frame, through its palette)', async () => {
    const gif = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#102030' } }).gif().toBuffer();
    const image = await decodeImage(gif, 'a.gif');
    // sharp's writer declares a transparent index (unused here): RGBA, as PIL's convert("RGBA") gives.
    expect([image.width, image.height, image.channels]).toEqual([2, 2, 4]);
    expect([...image.data.subarray(0, 4)]).toEqual([0x10, 0x20, 0x30, 255]);
  });

  it('rejects CMYK and 16-bit TIFFs, which PIL opens as CMYK and I;16, naming the file', async () => {
    const cmyk = await errorOf(readImageFile(DIR + 'images/tiff_cmyk_8x6.tif'));
    expect(cmyk.code).toBe('INVALID_IMAGE');
    expect(cmyk.message).toMatch(/tiff_cmyk_8x6\.tif: CMYK TIFF\. PIL opens it as mode "CMYK"/);
    const g16 = await errorOf(readImageFile(DIR + 'images/tiff_g16_7x5.tif'));
    expect(g16.code).toBe('INVALID_IMAGE');
    expect(g16.message).toMatch(/tiff_g16_7x5\.tif: a TIFF of ushort samples; PIL opens 16-bit grayscale as "I;16"/);
  });

  it("checks a WebP's declared size against the decompression-bomb limit before decoding", async () => {
    const webp = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#102030' } }).webp().toBuffer();
    const err = await errorOf(decodeImage(webp, 'big.webp', { maxImagePixels: 100 }));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('big.webp');
  });

  it('reports a missing file', async () => {
    const err = await errorOf(readImageFile(DIR + 'images/missing.png'));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain('missing.png');
  });
});
