/**
 * Hostile-input catalogue, part 3: image files. Pillow 12 (what transformers
 * opens images with) refuses more than 178 956 970 pixels from the header
 * (DecompressionBombError, a warning above 89 478 485), refuses a PNG whose
 * chunks before the image data have a bad CRC ("cannot identify image file")
 * but decodes one whose IDAT CRC is bad, and a resize to a zero side raises
 * "height and width must be > 0" (checked with tools/reference/probe_hardening.py).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { ImageProcessor, VedError, type RawImage } from '@ved/core';
import '../register-builtins.js';
import { decodeImage, readImageFile } from '../image-decode.js';
import { openModelFiles } from '../hub-files.js';
import { ImageToText } from '../pipeline.js';
import { fixturePath } from '../test-utils/fixtures.js';

const RGB_PNG = fixturePath('images', 'rgb_64x20.png');
const JPEG = fixturePath('images', 'rgb_48x36.jpg');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ved-images-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A PNG whose IHDR declares `width` x `height` gray pixels, with a few bytes of (invalid) image data. */
function declaredPng(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // depth
  ihdr[9] = 0; // gray
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(64).fill(7)), chunk('IEND', new Uint8Array(0))]);
}

/** Chunk offsets of a PNG. */
function chunks(bytes: Uint8Array): { type: string; at: number; length: number }[] {
  const out = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    out.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), at, length });
    at += 12 + length;
  }
  return out;
}

/** The fixture PNG with a tEXt chunk after IHDR. */
function withText(): Uint8Array {
  const bytes = new Uint8Array(readFileSync(RGB_PNG));
  const ihdrEnd = 8 + 12 + 13;
  return Buffer.concat([bytes.subarray(0, ihdrEnd), chunk('tEXt', new TextEncoder().encode('k\0v')), bytes.subarray(ihdrEnd)]);
}

function corruptCrc(bytes: Uint8Array, type: string): Uint8Array {
  const copy = bytes.slice();
  const c = chunks(copy).find((x) => x.type === type)!;
  copy[c.at + 8 + c.length] = copy[c.at + 8 + c.length]! ^ 0xff;
  return copy;
}

async function failure(promise: Promise<unknown>): Promise<VedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

describe('decompression bombs: the pixel count is checked from the header, before decoding', () => {
  it('a 16000x16000 PNG is IMAGE_TOO_LARGE (Pillow: DecompressionBombError), without decoding its data', async () => {
    // The image data is garbage: had ved decoded it, the error would be INVALID_IMAGE.
    const err = await failure(decodeImage(declaredPng(16000, 16000), 'bomb.png'));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('bomb.png: the image is 16000x16000 (256000000 pixels), more than the limit of 178956970 pixels');
  });

  it('a JPEG whose frame header declares 60000x60000 is refused the same way', async () => {
    const bytes = new Uint8Array(readFileSync(JPEG));
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
    bytes.set([0xea, 0x60, 0xea, 0x60], sof + 5); // height, width = 60000
    const err = await failure(decodeImage(bytes, 'huge.jpg'));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('60000x60000');
  });

  it('between Pillow\'s two limits: its warning, then the image is decoded', async () => {
    const warnings: string[] = [];
    const err = await failure(decodeImage(declaredPng(10000, 10000), 'large.png', { onWarning: (m) => warnings.push(m) }));
    expect(warnings).toEqual(['large.png: image size (100000000 pixels) exceeds limit of 89478485 pixels, could be decompression bomb DOS attack.']);
    expect(err.code).toBe('INVALID_IMAGE'); // the (garbage) data was read: the check let it through
  });

  it('maxImagePixels changes the limit; null turns it off, as Pillow\'s MAX_IMAGE_PIXELS = None', async () => {
    const small = await failure(readImageFile(RGB_PNG, { maxImagePixels: 1000 }));
    expect(small.code).toBe('IMAGE_TOO_LARGE');
    expect(small.message).toContain(`${RGB_PNG}: the image is 64x20 (1280 pixels), more than the limit of 1000 pixels`);
    expect((await readImageFile(RGB_PNG, { maxImagePixels: 1280, onWarning: () => {} })).width).toBe(64);
    const off = await failure(decodeImage(declaredPng(16000, 16000), 'bomb.png', { maxImagePixels: null }));
    expect(off.code).toBe('INVALID_IMAGE');
    expect((await failure(readImageFile(RGB_PNG, { maxImagePixels: 0 }))).code).toBe('INVALID_OPTION');
  });

  it('the pipeline takes the limit (ImageToText.fromPretrained({maxImagePixels}))', async () => {
    const pipe = await ImageToText.fromPretrained(fixturePath('models', 'vit-gpt2-a'), { maxImagePixels: 1000 });
    try {
      const err = await failure(pipe.generate([RGB_PNG], { maxNewTokens: 2 }));
      expect(err.code).toBe('IMAGE_TOO_LARGE');
      expect(err.message).toContain(RGB_PNG);
    } finally {
      await pipe.dispose();
    }
  });
});

describe('PNG CRCs, as Pillow checks them', () => {
  it.each(['IHDR', 'tEXt'])('a bad %s CRC is INVALID_IMAGE naming the file and chunk (Pillow: "cannot identify image file"; sharp said "Unknown error")', async (type) => {
    const err = await failure(decodeImage(corruptCrc(withText(), type), 'damaged.png'));
    expect(err.code).toBe('INVALID_IMAGE');
    expect(err.message).toContain(`damaged.png: corrupt PNG: the "${type}" chunk at byte`);
    expect(err.message).not.toContain('Unknown error');
  });

  it.each(['IDAT', 'IEND'])('a bad %s CRC decodes as the intact file does (Pillow never checks it)', async (type) => {
    const intact = await decodeImage(withText(), 'intact.png');
    const decoded = await decodeImage(corruptCrc(withText(), type), 'crc.png');
    expect(decoded).toEqual(intact);
  });
});

describe('batches are decoded one image at a time', () => {
  it('preprocessEach loads the next image only after the previous one is prepared', async () => {
    const processor = ImageProcessor.fromJson(JSON.parse(readFileSync(fixturePath('models', 'vit-gpt2-a', 'preprocessor_config.json'), 'utf8')));
    let inFlight = 0;
    let most = 0;
    const load = async (path: string): Promise<RawImage> => {
      inFlight++;
      most = Math.max(most, inFlight);
      const image = await readImageFile(path);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return image;
    };
    const paths = [RGB_PNG, JPEG, fixturePath('images', 'rgb_40x30.png'), RGB_PNG];
    const each = await processor.preprocessEach(paths, load);
    expect(most).toBe(1);
    const all = processor.preprocess(await Promise.all(paths.map((p) => readImageFile(p))));
    expect(each.dims).toEqual(all.dims);
    expect(each.data).toEqual(all.data);
  });
});

describe('a resize to a zero side names the file (Pillow: "height and width must be > 0")', () => {
  it('through the pipeline', async () => {
    const dir = join(work, 'thin-model');
    cpSync(fixturePath('models', 'vit-gpt2-a'), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8'));
    config.size = { shortest_edge: 8, longest_edge: 16 };
    writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(config));
    const thin = join(work, 'thin.png');
    await sharp(Buffer.alloc(200 * 3, 128), { raw: { width: 200, height: 1, channels: 3 } }).png().toFile(thin);
    const pipe = await ImageToText.fromPretrained(dir);
    try {
      const err = await failure(pipe.preprocess([thin]));
      expect(err.code).toBe('INVALID_IMAGE');
      expect(err.message.startsWith(`${thin}: `)).toBe(true);
      expect(err.message).toContain('200x1');
      expect(err.message).toContain('at least 1');
    } finally {
      await pipe.dispose();
    }
  });
});

describe('long paths are shortened in messages', () => {
  const huge = `/tmp/${'a'.repeat(20_000_000)}.png`;

  it('an image path of 20 MB', async () => {
    const err = await failure(readImageFile(huge));
    expect(err.message.length).toBeLessThan(1000);
    expect(err.message).toMatch(/…\(2000\d{4} characters\)…/);
  });

  it('a --model of 20 MB', async () => {
    const err = await failure(openModelFiles(huge));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message.length).toBeLessThan(1000);
  });
});
