/**
 * `interpolatePosEncoding` through generate() (Python's encoder kwarg); the
 * encoder outputs at other sizes are checked against Python in the encoder
 * golden suite (test-utils/encoder-golden.ts).
 */
import { describe, expect, it } from 'vitest';
import { VedError, VisionEncoderDecoderModel, type PixelBatch } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { fixturePath } from './test-utils/fixtures.js';

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
      const err = await generate(model, { pixelValues: other, modelGenerationConfig: gen }, { maxNewTokens: 5 }).catch((e) => e);
      expect(err).toBeInstanceOf(VedError);
      expect(err.message).toContain('interpolatePosEncoding');
    } finally {
      await model.dispose();
    }
  });

  it('a config that cannot interpolate refuses each call, and the model still disposes cleanly', async () => {
    // deit-gpt2-a: a 16x24 image of 4-pixel patches, a 4x6 grid (transformers interpolates square grids only).
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(fixturePath('encoders', 'deit-gpt2-a')), nodeRuntime);
    const other: PixelBatch = { data: new Float32Array(3 * 20 * 20), dims: [1, 3, 20, 20] };
    for (let i = 0; i < 2; i++) {
      await expect(model.encode(other, { interpolatePosEncoding: true })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('square grid') });
    }
    // dispose() used to reject with the failed build's error.
    await expect(model.dispose()).resolves.toBeUndefined();
  });
});
