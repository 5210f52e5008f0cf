/**
 * Property-based fuzzing (fast-check, fixed seeds, bounded runs) of the image
 * decoding path on Node: file bytes → `decodeImage` (header checks, CRCs,
 * sharp, core's GIF decoder) → the image processor. On damaged PNGs, JPEGs and GIFs, headers declaring
 * any size, and arbitrary bytes, the result is a well-formed RawImage or a
 * `VedError`, never another exception, and nothing is allocated for sizes
 * past the decompression-bomb limit.
 */
import { describe, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { ImageProcessor, VedError, assertRawImage } from '@ved/core';
import { decodeImage } from '../image-decode.js';
import { fixturePath } from '../test-utils/fixtures.js';

const RUNS = { seed: 4242, numRuns: 300 };
const FILES = ['rgb_64x20.png', 'rgba_33x20.png', 'gray_25x25.png', 'rgb_17x53.png', 'rgb_48x36.jpg'].map(
  (name) => new Uint8Array(readFileSync(fixturePath('images', name))),
);
const GIFS = ['gif_rgb_24x20.gif', 'gif_p_trns_24x20.gif', 'gif_l_16x12.gif', 'gif_animated_24x20.gif', 'gif_partial_interlaced_30x22.gif'].map(
  (name) => new Uint8Array(readFileSync(fixturePath('processing', 'images', name))),
);
const BMPS = ['bmp_rgb_23x17.bmp', 'bmp_p_20x14.bmp', 'bmp_1_21x9.bmp', 'bmp_rle8_topdown_19x13.bmp', 'bmp_565_11x7.bmp', 'bmp_bgra_15x9.bmp'].map(
  (name) => new Uint8Array(readFileSync(fixturePath('processing', 'images', name))),
);
const processor = ImageProcessor.fromJson(JSON.parse(readFileSync(fixturePath('models', 'vit-gpt2-a', 'preprocessor_config.json'), 'utf8')));

async function onlyVedErrors(bytes: Uint8Array): Promise<void> {
  try {
    const image = await decodeImage(bytes, 'fuzz.png', { onWarning: () => {} });
    assertRawImage(image, 'decoded');
    if (image.channels !== 3) return; // this processor normalises RGB only (a VedError otherwise, tested elsewhere)
    processor.preprocess([image]);
  } catch (err) {
    if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
  }
}

/** Rewrites the CRC of every chunk, so that damage inside a chunk reaches the decoder. */
function fixCrcs<T extends Uint8Array>(bytes: T): T {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) break;
    view.setUint32(at + 8 + length, crc32(bytes.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
  return bytes;
}

const big = fc.integer({ min: 20_000, max: 0xffff });
const screen = fc.oneof(fc.tuple(fc.nat({ max: 512 }), fc.nat({ max: 512 })), fc.tuple(big, big));
const damage = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 });

describe('image decoding under fuzzing', () => {
  it('real PNG and JPEG files with flipped bytes, with or without their CRCs fixed, and truncated', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: FILES.length - 1 }), damage, fc.boolean(), fc.option(fc.nat(), { freq: 3 }), async (which, flips, fix, cut) => {
        const source = FILES[which]!;
        let bytes = source.slice(0, cut === null ? source.length : Math.max(1, cut % source.length));
        for (const [at, xor] of flips) {
          const i = at % bytes.length;
          bytes[i] = bytes[i]! ^ xor;
        }
        if (fix) bytes = fixCrcs(bytes);
        await onlyVedErrors(bytes);
      }),
      RUNS,
    );
  });

  it('PNG headers declaring any size, depth and colour type over a little image data', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 0xffffffff })),
        fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 0xffffffff })),
        fc.constantFrom(0, 1, 2, 4, 8, 16, 3, 7),
        fc.constantFrom(0, 2, 3, 4, 6, 1, 5),
        fc.uint8Array({ maxLength: 64 }),
        async (width, height, depth, colorType, data) => {
          const png = FILES[0]!.slice();
          const view = new DataView(png.buffer);
          view.setUint32(16, width);
          view.setUint32(20, height);
          png[24] = depth;
          png[25] = colorType;
          const idat = png.findIndex((_, i) => png[i] === 0x49 && png[i + 1] === 0x44 && png[i + 2] === 0x41 && png[i + 3] === 0x54) - 4;
          const out = new Uint8Array(idat + 12 + data.length + 12);
          out.set(png.subarray(0, idat));
          new DataView(out.buffer).setUint32(idat, data.length);
          out.set([0x49, 0x44, 0x41, 0x54], idat + 4);
          out.set(data, idat + 8);
          out.set([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], idat + 12 + data.length);
          await onlyVedErrors(fixCrcs(out));
        },
      ),
      RUNS,
    );
  });

  it('real GIF files with flipped bytes, truncated, and with a screen and first image of any size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: GIFS.length - 1 }),
        damage,
        fc.option(fc.nat(), { freq: 3 }),
        fc.option(screen, { freq: 2 }),
        async (which, flips, cut, size) => {
          const source = GIFS[which]!;
          const bytes = source.slice(0, cut === null ? source.length : Math.max(1, cut % source.length));
          for (const [at, xor] of flips) {
            const i = at % bytes.length;
            bytes[i] = bytes[i]! ^ xor;
          }
          if (size !== null && bytes.length >= 10) {
            // The screen's size: small, or past the decompression-bomb limit (refused before anything is allocated).
            bytes.set([size[0] & 255, size[0] >> 8, size[1] & 255, size[1] >> 8], 6);
          }
          await onlyVedErrors(bytes);
        },
      ),
      RUNS,
    );
  });

  it('real BMP files with flipped bytes and truncations, and with a declared size of any value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: BMPS.length - 1 }), damage, fc.option(fc.nat(), { freq: 3 }), fc.option(screen, { freq: 2 }), async (which, flips, cut, size) => {
        const source = BMPS[which]!;
        const bytes = source.slice(0, cut === null ? source.length : Math.max(1, cut % source.length));
        for (const [at, xor] of flips) {
          const i = at % bytes.length;
          bytes[i] = bytes[i]! ^ xor;
        }
        if (size !== null && bytes.length >= 26) {
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          view.setInt32(18, size[0], true);
          view.setInt32(22, size[1], true);
        }
        await onlyVedErrors(bytes);
      }),
      RUNS,
    );
  });

  it('arbitrary bytes, and arbitrary bytes after a PNG, JPEG or GIF signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom([], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff], [0x47, 0x49, 0x46, 0x38, 0x39, 0x61], [0x42, 0x4d]), fc.uint8Array({ maxLength: 200 }), async (prefix, rest) => {
        await onlyVedErrors(Uint8Array.from([...prefix, ...rest]));
      }),
      RUNS,
    );
  });
});
