/**
 * `interpolatePosEncoding` through the model (Python's forward option): images
 * of another size than the config's give the encoder output Python gives.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VedError, VisionEncoderDecoderModel, parseSafetensors, type PixelBatch } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { fixturePath, maxAbsDiff } from './test-utils/fixtures.js';

for (const name of ['vit-gpt2-interpolate', 'deit-gpt2-b', 'beit-gpt2-a']) {
  describe(`${name}: interpolatePosEncoding`, () => {
    const dir = fixturePath('encoders', name);
    const json = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8'));
    const bytes = readFileSync(join(dir, 'reference', 'reference.safetensors'));
    const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
    const cases = json.interpolate_pos_encoding as Array<{ height: number; width: number; pixel_values: string; last_hidden_state: string; shape: number[] }>;

    it('has cases', () => expect(cases.length).toBeGreaterThan(0));

    it('encoder output at other sizes within 1e-4 of Python, and a clear error without the option', async () => {
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      try {
        for (const c of cases) {
          const pixelValues: PixelBatch = { data: tensors.getFloat32(c.pixel_values), dims: tensors.info(c.pixel_values).shape as PixelBatch['dims'] };
          const encoded = await model.encode(pixelValues, { interpolatePosEncoding: true });
          expect(encoded.lastHiddenState.dims).toEqual(c.shape);
          expect(maxAbsDiff(encoded.lastHiddenState.data as Float32Array, tensors.getFloat32(c.last_hidden_state))).toBeLessThan(1e-4);
          const [h, w] = model.imageSize;
          if (c.height !== h || c.width !== w) {
            const err = await model.encode(pixelValues).catch((e) => e);
            expect(err).toBeInstanceOf(VedError);
            expect(err.message).toContain('interpolatePosEncoding');
          }
        }
      } finally {
        await model.dispose();
      }
    });
  });
}

describe('generate() with interpolatePosEncoding', () => {
  it('runs on images of another size and matches the fixed-size path at the config size', async () => {
    const dir = fixturePath('encoders', 'vit-gpt2-interpolate');
    const { generate, modelGenerationConfig } = await import('@ved/generation');
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    try {
      const [h, w] = model.imageSize;
      const gen = modelGenerationConfig(model.config.raw, model.generationConfigJson);
      const same: PixelBatch = { data: new Float32Array(3 * h * w).map((_, i) => Math.sin(i * 0.37)), dims: [1, 3, h, w] };
      const fixed = await generate(model, { pixelValues: same, modelGenerationConfig: gen }, { maxNewTokens: 5 });
      const dynamic = await generate(model, { pixelValues: same, modelGenerationConfig: gen, interpolatePosEncoding: true }, { maxNewTokens: 5 });
      expect(dynamic.sequences).toEqual(fixed.sequences);
      const other: PixelBatch = { data: new Float32Array(3 * (h + 8) * w).map((_, i) => Math.cos(i * 0.11)), dims: [1, 3, h + 8, w] };
      const out = await generate(model, { pixelValues: other, modelGenerationConfig: gen, interpolatePosEncoding: true }, { maxNewTokens: 5 });
      expect(out.sequences[0]!.length).toBeGreaterThan(1);
    } finally {
      await model.dispose();
    }
  });
});
