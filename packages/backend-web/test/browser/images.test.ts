/**
 * Images in the browser: pixel_values from PNG and JPEG files of several
 * sizes and modes equal backend-node's (sharp + the same processor), and every
 * kind of browser image input decodes to the same pixels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ImageToText } from '@ved/backend-node';
import { FIXTURES_DIR } from '@ved/conformance/hub-server';
import { openSuite, type Suite } from './suite.js';

const RGB_IMAGES = [
  'images/rgb_40x30.png',
  'images/rgb_17x53.png',
  'images/rgb_48x36.jpg',
  'images/rgb_64x20.png',
  'processing/images/jpeg_rgb_64x48.jpg',
  'processing/images/jpeg_444_24x20.jpg',
  'processing/images/jpeg_exif6_32x16.jpg',
  'processing/images/rgb_2x300.png',
  'processing/images/rgb_200x3.png',
];
const OTHER_MODES = [
  'images/gray_25x25.png',
  'images/rgba_33x20.png',
  'processing/images/jpeg_l_40x30.jpg',
  'processing/images/la_30x20.png',
  'processing/images/p_trns_20x20.png',
  'processing/images/rgba_33x25.png',
  'processing/images/rgba16_7x5.png',
];

async function nodePixelValues(model: string, images: string[]) {
  const pipe = await ImageToText.fromPretrained(join(FIXTURES_DIR, 'models', model));
  try {
    return await pipe.preprocess(images.map((p) => join(FIXTURES_DIR, p)));
  } finally {
    await pipe.dispose();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('images in Chromium', () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await openSuite({ isolated: true });
    await suite.call('setup', {});
  });
  afterAll(() => suite?.close());

  for (const [model, images] of [
    ['vit-gpt2-a', RGB_IMAGES],
    ['vit-gpt2-b', [...RGB_IMAGES, ...OTHER_MODES]],
  ] as const) {
    it(`${model}: pixel_values of ${images.length} PNG/JPEG files equal Node's exactly`, async () => {
      const web = await suite.call('pixelValues', `ved-test/${model}`, [...images]);
      const node = await nodePixelValues(model, [...images]);
      expect(web.dims).toEqual(node.dims);
      expect(maxDiff(web.data, node.data)).toBe(0);
    });
  }

  for (const path of ['images/rgb_48x36.jpg', 'images/rgb_40x30.png', 'images/rgba_33x20.png', 'images/gray_25x25.png']) {
    it(`${path}: URL, Blob, File, <img>, ImageBitmap, canvas, OffscreenCanvas and ImageData inputs agree`, async () => {
      const kinds = (await suite.call('inputKinds', path)) as Record<string, { width: number; height: number; channels: number; data: number[] }>;
      const reference = kinds.bytes!;
      // Files (and an <img>, whose file is fetched) decode exactly as the bytes do.
      for (const kind of ['url', 'absoluteUrl', 'blob', 'file', 'htmlImage']) expect(kinds[kind], kind).toEqual(reference);
      // Pixels already drawn have no file mode: RGB when opaque, else RGBA, premultiplied by the canvas.
      const opaque = reference.channels !== 2 && reference.channels !== 4;
      for (const kind of ['imageBitmap', 'htmlCanvas', 'offscreenCanvas', 'imageData']) {
        const got = kinds[kind]!;
        expect([got.width, got.height], kind).toEqual([reference.width, reference.height]);
        if (opaque) {
          expect(got.channels, kind).toBe(3);
          const rgb = reference.channels === 1 ? reference.data.flatMap((v) => [v, v, v]) : reference.data;
          expect(got.data, kind).toEqual(rgb);
        } else {
          expect(got.channels, kind).toBe(4);
          // Where alpha is 255 the colour survives premultiplication unchanged.
          for (let p = 0; p < reference.width * reference.height; p++) {
            if (reference.data[p * 4 + 3] === 255) expect(got.data.slice(p * 4, p * 4 + 4), `${kind} pixel ${p}`).toEqual(reference.data.slice(p * 4, p * 4 + 4));
          }
        }
      }
    });
  }
});
