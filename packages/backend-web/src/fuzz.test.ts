/**
 * Property-based fuzzing (fast-check, fixed seed, bounded runs) of the
 * browser backend's PNG decoder (ved's own, run here in Node): damaged files,
 * headers declaring any size, arbitrary bytes give a well-formed RawImage or a
 * `VedError`, never another exception.
 */
import { describe, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { VedError, assertRawImage } from '@ved/core';
import { decodePng } from './png-decode.js';
import { decodeTiff } from './tiff-decode.js';

const RUNS = { seed: 31337, numRuns: 300 };
const FIXTURES = new URL('../../../fixtures/images/', import.meta.url);
const FILES = ['rgb_64x20.png', 'rgba_33x20.png', 'gray_25x25.png', 'rgb_17x53.png'].map((f) => new Uint8Array(readFileSync(new URL(f, FIXTURES))));

async function onlyVedErrors(bytes: Uint8Array): Promise<void> {
  try {
    assertRawImage(await decodePng(bytes, 'fuzz.png', { onWarning: () => {} }), 'decoded');
  } catch (err) {
    if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
  }
}

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

describe('browser PNG decoder under fuzzing', () => {
  it('real files with flipped bytes (CRCs fixed or not) and truncations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: FILES.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.option(fc.nat(), { freq: 3 }),
        async (which, flips, fix, cut) => {
          const source = FILES[which]!;
          let bytes = source.slice(0, cut === null ? source.length : Math.max(1, cut % source.length));
          for (const [at, xor] of flips) {
            const i = at % bytes.length;
            bytes[i] = bytes[i]! ^ xor;
          }
          if (fix) bytes = fixCrcs(bytes);
          await onlyVedErrors(bytes);
        },
      ),
      RUNS,
    );
  });

  it('IHDR declaring any size, depth, colour type and interlacing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.nat({ max: 70 }), fc.nat({ max: 0xffffffff })),
        fc.oneof(fc.nat({ max: 70 }), fc.nat({ max: 0xffffffff })),
        fc.constantFrom(1, 2, 4, 8, 16, 3),
        fc.constantFrom(0, 2, 3, 4, 6, 5),
        fc.constantFrom(0, 1, 2),
        fc.nat({ max: FILES.length - 1 }),
        async (width, height, depth, colorType, interlace, which) => {
          const bytes = FILES[which]!.slice();
          const view = new DataView(bytes.buffer);
          view.setUint32(16, width);
          view.setUint32(20, height);
          bytes[24] = depth;
          bytes[25] = colorType;
          bytes[28] = interlace;
          await onlyVedErrors(fixCrcs(bytes));
        },
      ),
      RUNS,
    );
  });

  it('arbitrary bytes after the PNG signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (rest) => {
        await onlyVedErrors(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...rest]));
      }),
      RUNS,
    );
  });
});

describe("browser TIFF reader under fuzzing (UTIF.js's decoding, ved's directory checks and sample reading)", () => {
  const TIFFS = ['tiff_bilevel_g4_32x24.tif', 'tiff_l_lzw_32x24.tif', 'tiff_la_20x14.tif', 'tiff_rgb_jpeg_32x24.tif', 'tiff_rgba_18x10.tif', 'tiff_p_20x20.tif'].map(
    (f) => new Uint8Array(readFileSync(new URL(`../../../fixtures/processing/images/${f}`, import.meta.url))),
  );
  it('real files with flipped bytes and truncations give a RawImage or a VedError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: TIFFS.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { freq: 3 }),
        async (which, flips, cut) => {
          const source = TIFFS[which]!;
          const bytes = source.slice(0, cut === null ? source.length : Math.max(1, cut % source.length));
          for (const [at, xor] of flips) {
            const i = at % bytes.length;
            bytes[i] = bytes[i]! ^ xor;
          }
          try {
            assertRawImage(await decodeTiff(bytes, 'fuzz.tif', { onWarning: () => {} }), 'decoded');
          } catch (err) {
            if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
          }
        },
      ),
      RUNS,
    );
  });
});
