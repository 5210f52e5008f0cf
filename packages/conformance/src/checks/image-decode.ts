/**
 * The backend's image decoder against the arrays PIL decodes
 * (fixtures/processing, tools/reference/make_processing_fixtures.py): PNG of
 * every mode exact, JPEG within one level (libjpeg-turbo builds may round the
 * IDCT differently), WebP exact (libwebp everywhere), EXIF orientation not
 * applied, GIF exact (core's decoder everywhere), TIFF exact but for
 * JPEG-compressed ones (libtiff on Node, UTIF.js in the browser). WebPs with
 * transparent pixels are checked on Node only: a browser decodes through a
 * canvas, whose premultiplied colour loses them.
 */
import { parseSafetensors, type SafetensorsFile } from '@ved/core';
import { assertEqualJson, fail } from '../assert.js';
import type { Check, ConformanceEnv } from '../types.js';

interface ImageEntry {
  name: string;
  mode: string;
  width: number;
  height: number;
  channels?: number;
  key?: string;
  decode_error?: string;
  /** false: checked on Node only (see above). */
  browser_exact?: boolean;
}

async function processingFixtures(env: ConformanceEnv): Promise<{ images: ImageEntry[]; decoded: SafetensorsFile }> {
  const meta = JSON.parse(new TextDecoder().decode(await env.fixture('processing/cases.json'))) as { images: ImageEntry[] };
  return { images: meta.images, decoded: parseSafetensors(await env.fixture('processing/decoded.safetensors'), 'processing/decoded.safetensors') };
}

export const imageDecodeChecks: Check[] = [
  {
    name: 'decode: PNG (L, LA, RGB, RGBA, palette, tRNS, 1/4/16-bit), JPEG, WebP, TIFF, GIF and BMP files equal PIL\'s arrays',
    async run(env) {
      const { images, decoded } = await processingFixtures(env);
      const problems: string[] = [];
      let worstJpeg = 0;
      let count = 0;
      const skip = (e: ImageEntry) => env.browser === true && e.browser_exact === false;
      for (const entry of images.filter((e) => e.key !== undefined && !skip(e))) {
        const img = await env.decodeImage(await env.fixture(`processing/images/${entry.name}`), entry.name);
        const want = decoded.getRaw(entry.key!);
        const shape = decoded.info(entry.key!).shape;
        if (JSON.stringify([img.height, img.width, img.channels]) !== JSON.stringify(shape)) {
          problems.push(`${entry.name}: shape [${img.height}, ${img.width}, ${img.channels}], expected [${shape.join(', ')}] (PIL mode ${entry.mode})`);
          continue;
        }
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(img.data[i]! - want[i]!));
        // JPEG data: libjpeg builds (and the browser's TIFF reader's own JPEG decoder) may round the IDCT differently.
        const jpeg = entry.name.endsWith('.jpg') || entry.name.includes('_jpeg_');
        if (jpeg) worstJpeg = Math.max(worstJpeg, worst);
        if (worst > (jpeg ? 1 : 0)) problems.push(`${entry.name}: max |diff| ${worst} levels from PIL`);
        count++;
      }
      if (problems.length > 0) fail(problems.join('; '));
      return `${count} images; JPEG max |diff| ${worstJpeg} level(s), PNG, WebP, TIFF, GIF and BMP exact`;
    },
  },
  {
    name: 'decode: EXIF orientation is not applied (PIL does not rotate on open)',
    async run(env) {
      const img = await env.decodeImage(await env.fixture('processing/images/jpeg_exif6_32x16.jpg'), 'jpeg_exif6_32x16.jpg');
      assertEqualJson([img.width, img.height], [32, 16], 'jpeg_exif6_32x16.jpg size');
    },
  },
  {
    name: 'decode: a 16-bit grayscale PNG is refused with an explanation (PIL mode I;16)',
    async run(env) {
      try {
        await env.decodeImage(await env.fixture('processing/images/g16_7x5.png'), 'g16_7x5.png');
      } catch (error) {
        const { code, message } = error as { code?: string; message: string };
        if (code !== 'INVALID_IMAGE' || !message.includes('g16_7x5.png') || !message.includes('16-bit')) {
          fail(`unexpected error ${code}: ${message}`);
        }
        return;
      }
      fail('g16_7x5.png decoded, expected an INVALID_IMAGE error');
    },
  },
];
