/**
 * Quantization on load: every dtype loads any checkpoint and stays close to
 * float32 (greedy-id agreement and logit differences are reported by the
 * bench on real-size models; here: tiny fixtures, loose bounds).
 */
import { describe, expect, it } from 'vitest';
import { VedError, VisionEncoderDecoderModel, type PixelBatch } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { loadModelReference } from './test-utils/fixtures.js';

describe('dtype on load', () => {
  const ref = loadModelReference('vit-gpt2-a');
  const pixelValues: PixelBatch = { data: ref.tensors.getFloat32('pixel_values'), dims: ref.tensors.info('pixel_values').shape as PixelBatch['dims'] };
  const expected = ref.tensors.getFloat32('teacher_forced_logits');

  for (const [dtype, tolerance] of [['fp16', 0.02], ['q8', 0.6], ['q4', 2.5]] as const) {
    it(`${dtype}: logits stay close to float32`, async () => {
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime, { dtype });
      try {
        const logits = await model.logits(pixelValues, ref.json.decoder_input_ids);
        let maxDiff = 0;
        let maxRef = 0;
        for (let i = 0; i < expected.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(logits.data[i]! - expected[i]!));
          maxRef = Math.max(maxRef, Math.abs(expected[i]!));
        }
        expect(maxDiff).toBeGreaterThan(0);
        expect(maxDiff).toBeLessThan(tolerance);
        void maxRef;
      } finally {
        await model.dispose();
      }
    });
  }

  it('frees the float32 reads of a quantized load (the runtime collects garbage), not of an fp32 one', async () => {
    for (const [dtype, collects] of [['q8', true], ['fp32', false]] as const) {
      let calls = 0;
      const counting = { ...nodeRuntime, collectGarbage: () => (calls++, nodeRuntime.collectGarbage!()) };
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), counting, { dtype });
      await model.dispose();
      // After the sessions open: twice, a task apart (the fixture reads less than one collection's worth while building).
      expect(calls, dtype).toBe(collects ? 2 : 0);
    }
  });

  it('an unknown dtype names the option and the choices', async () => {
    const err = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime, { dtype: 'int3' as never }).catch((e) => e);
    expect(err).toBeInstanceOf(VedError);
    expect(err.message).toMatch(/dtype is "int3".*"q8"/);
  });
});
