/**
 * The browser decoders' checks before decoding (run in Node: the PNG decoder is
 * ved's own, and the JPEG header is read before the browser is asked): the
 * decompression-bomb limit from the header (Pillow: DecompressionBombError
 * above 178 956 970 pixels) and the PNG CRCs Pillow checks (chunks before the
 * image data). Same rules as backend-node's image-decode.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { VedError } from '@ved/core';
import { decodeImageBytes } from './image-input.js';
import { decodePng } from './png-decode.js';

const FIXTURES = new URL('../../../fixtures/images/', import.meta.url);
const png = () => new Uint8Array(readFileSync(new URL('rgb_64x20.png', FIXTURES)));

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function declaredPng(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr[8] = 8;
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(64).fill(7)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function corruptCrc(bytes: Uint8Array, type: string): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  for (let at = 8; at + 8 <= copy.length; ) {
    const length = view.getUint32(at);
    if (String.fromCharCode(...copy.subarray(at + 4, at + 8)) === type) {
      copy[at + 8 + length] = copy[at + 8 + length]! ^ 0xff;
      return copy;
    }
    at += 12 + length;
  }
  throw new Error(`no ${type}`);
}

async function failure(promise: Promise<unknown>): Promise<VedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

describe('browser image decoding limits', () => {
  it('a PNG declaring 16000x16000 is IMAGE_TOO_LARGE before inflating', async () => {
    const err = await failure(decodePng(declaredPng(16000, 16000), 'bomb.png'));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('bomb.png: the image is 16000x16000 (256000000 pixels)');
    expect((await failure(decodeImageBytes(declaredPng(16000, 16000), 'bomb.png'))).code).toBe('IMAGE_TOO_LARGE');
  });

  it('a JPEG declaring 60000x60000 is refused before the browser decodes it', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('rgb_48x36.jpg', FIXTURES)));
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
    bytes.set([0xea, 0x60, 0xea, 0x60], sof + 5);
    const err = await failure(decodeImageBytes(bytes, 'huge.jpg'));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
  });

  it('maxImagePixels changes the limit, null removes it; a warning above half of it', async () => {
    expect((await failure(decodeImageBytes(png(), 'small.png', { maxImagePixels: 1000 }))).code).toBe('IMAGE_TOO_LARGE');
    const warnings: string[] = [];
    expect((await decodeImageBytes(png(), 'small.png', { maxImagePixels: 2000, onWarning: (m) => warnings.push(m) })).width).toBe(64);
    expect(warnings).toEqual(['small.png: image size (1280 pixels) exceeds limit of 1000 pixels, could be decompression bomb DOS attack.']);
    expect((await failure(decodePng(declaredPng(16000, 16000), 'bomb.png', { maxImagePixels: null }))).code).toBe('INVALID_IMAGE');
  });

  it('a bad CRC before the image data is INVALID_IMAGE naming the chunk; one after decodes (Pillow\'s rules)', async () => {
    const err = await failure(decodePng(corruptCrc(png(), 'IHDR'), 'damaged.png'));
    expect(err.code).toBe('INVALID_IMAGE');
    expect(err.message).toContain('damaged.png: corrupt PNG: the "IHDR" chunk');
    expect(await decodePng(corruptCrc(png(), 'IDAT'), 'crc.png')).toEqual(await decodePng(png(), 'intact.png'));
  });
});
