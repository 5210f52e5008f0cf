/**
 * Golden tests of ViT + GPT-2 against Python transformers (fixtures made by
 * tools/reference/make_fixtures.py): encoder output, first-step and
 * teacher-forced logits within 1e-4, cached decoding equal to teacher forcing,
 * greedy ids identical, pixel_values from the image files within 1e-5.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { VisionEncoderDecoderModel, type PixelBatch } from '@ved/core';
import { generate, modelGenerationConfig } from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { REPO_ROOT, loadModelReference, maxAbsDiff, type ModelReference } from '../test-utils/fixtures.js';

for (const name of ['vit-gpt2-a', 'vit-gpt2-b']) {
  describe(name, () => {
    let ref: ModelReference;
    let model: VisionEncoderDecoderModel;
    let pixelValues: PixelBatch;

    beforeAll(async () => {
      ref = loadModelReference(name);
      model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
      const info = ref.tensors.info('pixel_values');
      pixelValues = { data: ref.tensors.getFloat32('pixel_values'), dims: info.shape as PixelBatch['dims'] };
    });
    afterAll(() => model?.dispose());

    it('encoder last_hidden_state within 1e-4', async () => {
      const encoded = await model.encode(pixelValues);
      const expected = ref.tensors.getFloat32('encoder_last_hidden_state');
      expect(encoded.lastHiddenState.dims).toEqual(ref.tensors.info('encoder_last_hidden_state').shape);
      expect(maxAbsDiff(encoded.lastHiddenState.data as Float32Array, expected)).toBeLessThan(1e-4);
    });

    it('first-step logits within 1e-4', async () => {
      const start = ref.json.decoder_input_ids.map((row) => [row[0]!]);
      const logits = await model.logits(pixelValues, start);
      expect(maxAbsDiff(logits.data, ref.tensors.getFloat32('first_step_logits'))).toBeLessThan(1e-4);
    });

    it('teacher-forced logits within 1e-4', async () => {
      const logits = await model.logits(pixelValues, ref.json.decoder_input_ids);
      expect([logits.rows, logits.positions, logits.vocab]).toEqual(ref.tensors.info('teacher_forced_logits').shape);
      expect(maxAbsDiff(logits.data, ref.tensors.getFloat32('teacher_forced_logits'))).toBeLessThan(1e-4);
    });

    it('cached step-by-step decoding equals one teacher-forced pass', async () => {
      const ids = ref.json.decoder_input_ids;
      const full = await model.logits(pixelValues, ids);
      const session = model.startDecoding(await model.encode(pixelValues), ids.map((_, i) => i));
      const T = ids[0]!.length;
      let worst = 0;
      for (let t = 0; t < T; t++) {
        const step = await session.step(ids.map((row) => [row[t]!]));
        for (let r = 0; r < ids.length; r++) {
          const a = step.data.subarray(r * step.vocab, (r + 1) * step.vocab);
          const b = full.data.subarray((r * T + t) * full.vocab, (r * T + t + 1) * full.vocab);
          worst = Math.max(worst, maxAbsDiff(a, b));
        }
      }
      session.dispose();
      expect(worst).toBeLessThan(1e-5);
    });

    it('greedy ids identical to Python (batch, rows finishing at different steps)', async () => {
      const out = await generate(
        model,
        { pixelValues, modelGenerationConfig: modelGenerationConfig(model.config.raw, model.generationConfigJson) },
        { maxNewTokens: ref.json.greedy.max_new_tokens },
      );
      expect(out.sequences).toEqual(ref.json.greedy.sequences);
    });

    it('pipeline: pixel_values from the image files within 1e-5, same ids and text', async () => {
      const { ImageToText } = await import('../pipeline.js');
      const pipe = await ImageToText.fromPretrained(ref.dir);
      try {
        const images = ref.json.images.map((p) => join(REPO_ROOT, p));
        const pv = await pipe.preprocess(images);
        expect(pv.dims).toEqual(pixelValues.dims);
        expect(maxAbsDiff(pv.data, pixelValues.data)).toBeLessThan(1e-5);
        const result = await pipe.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens });
        expect(result.sequences).toEqual(ref.json.greedy.sequences);
        expect(result.texts).toEqual(ref.json.greedy_text);
      } finally {
        await pipe.dispose();
      }
    });
  });
}
