/**
 * preprocessor_config.json files as transformers 4.x feature extractors (and
 * the early image processors) wrote them, against transformers 5.18 reading
 * them (`AutoImageProcessor.from_pretrained`, PIL backend): the same class,
 * and pixel_values within 1e-5 on the same images, or an error where Python
 * raises one. Fixtures: tools/reference/make_legacy_processor_fixtures.py →
 * fixtures/processing-legacy.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { parseSafetensors } from '../safetensors/index.js';
import { ImageProcessor } from './image-processor.js';
import type { RawImage } from './raw-image.js';

const DIR = fileURLToPath(new URL('../../../../fixtures/processing-legacy/', import.meta.url));
const read = (name: string) => parseSafetensors(new Uint8Array(readFileSync(DIR + name)), name);

interface LegacyCase {
  id: string;
  images: string[];
  config: Record<string, unknown>;
  processor_class: string;
  shape?: number[];
  error?: { type: string; message: string };
}

const meta = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')) as { cases: LegacyCase[] };
const inputs = read('inputs.safetensors');
const expected = read('expected.safetensors');

function image(name: string): RawImage {
  const { shape } = inputs.info(name);
  const [height, width, channels] = shape.length === 2 ? [shape[0]!, shape[1]!, 1] : (shape as [number, number, number]);
  return { width, height, channels: channels as RawImage['channels'], data: new Uint8Array(inputs.getRaw(name)) };
}

describe('legacy preprocessor_config.json read as transformers 5.18 reads it', () => {
  it('covers the 4.x feature extractors of ViT, TrOCR, DeiT, BEiT and Donut', () => {
    const types = new Set(meta.cases.map((c) => c.config.feature_extractor_type));
    for (const t of ['ViTFeatureExtractor', 'DeiTFeatureExtractor', 'BeitFeatureExtractor', 'DonutFeatureExtractor']) expect(types).toContain(t);
  });

  for (const c of meta.cases) {
    it(c.id, () => {
      const images = c.images.map(image);
      if (c.error !== undefined) {
        expect(() => ImageProcessor.fromJson(c.config).preprocess(images), `Python raised ${c.error.type}: ${c.error.message}`).toThrow(VedError);
        return;
      }
      const processor = ImageProcessor.fromJson(c.config);
      expect(`${processor.config.imageProcessorType}Pil`).toBe(c.processor_class);
      const out = processor.preprocess(images);
      expect(out.dims).toEqual(c.shape);
      const want = expected.getFloat32(c.id);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(out.data[i]! - want[i]!));
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  }
});
