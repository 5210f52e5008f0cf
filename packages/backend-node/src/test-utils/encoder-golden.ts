/**
 * The golden suite every encoder fixture runs (fixtures/encoders, made by
 * tools/reference/make_encoder_fixtures.py): the weight list with its init
 * rules, encoder output and first-step logits within 1e-4, greedy and beam ids
 * identical, pixel_values from the image files within 1e-5, and
 * `interpolatePosEncoding` at other image sizes where the fixture has cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { VisionEncoderDecoderModel, type PixelBatch } from '@ved/core';
import { generate, modelGenerationConfig } from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { REPO_ROOT, compareWeightSpecs, loadEncoderReference, maxAbsDiff, type EncoderReference } from './fixtures.js';

export function describeEncoderGolden(names: readonly string[]): void {
  /** Measured max abs differences, printed at the end for the record. */
  const diffs: string[] = [];
  afterAll(() => console.log(`max abs diff vs Python:\n${diffs.join('\n')}`));

  for (const name of names) {
    describe(name, () => {
      const ref: EncoderReference = loadEncoderReference(name);
      let model: VisionEncoderDecoderModel;
      let pixelValues: PixelBatch;
      const generation = () => modelGenerationConfig(model.config.raw, model.generationConfigJson);

      beforeAll(async () => {
        model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
        const info = ref.tensors.info('pixel_values');
        pixelValues = { data: ref.tensors.getFloat32('pixel_values'), dims: info.shape as PixelBatch['dims'] };
      });
      afterAll(() => model?.dispose());

      it("weights(): the names, shapes and init rules of Python's encoder", () => {
        const { encoder, encoderConfig } = model.parts;
        expect(compareWeightSpecs(encoder.weights(encoderConfig), ref.weights)).toEqual([]);
      });

      it('encoder last_hidden_state within 1e-4', async () => {
        const encoded = await model.encode(pixelValues);
        expect(encoded.lastHiddenState.dims).toEqual(ref.tensors.info('encoder_last_hidden_state').shape);
        const diff = maxAbsDiff(encoded.lastHiddenState.data as Float32Array, ref.tensors.getFloat32('encoder_last_hidden_state'));
        diffs.push(`  ${name} encoder_last_hidden_state: ${diff.toExponential(2)}`);
        expect(diff).toBeLessThan(1e-4);
      });

      it('first-step logits within 1e-4', async () => {
        const start = ref.json.greedy.sequences.map((row) => [row[0]!]);
        const logits = await model.logits(pixelValues, start);
        const diff = maxAbsDiff(logits.data, ref.tensors.getFloat32('first_step_logits'));
        diffs.push(`  ${name} first_step_logits: ${diff.toExponential(2)}`);
        expect(diff).toBeLessThan(1e-4);
      });

      it('greedy ids identical to Python', async () => {
        const out = await generate(model, { pixelValues, modelGenerationConfig: generation() }, { maxNewTokens: ref.json.greedy.max_new_tokens });
        expect(out.sequences).toEqual(ref.json.greedy.sequences);
      });

      it('beam search (3 beams) ids identical to Python', async () => {
        const out = await generate(
          model,
          { pixelValues, modelGenerationConfig: generation() },
          { numBeams: ref.json.beam.num_beams, maxNewTokens: ref.json.beam.max_new_tokens },
        );
        expect(out.sequences).toEqual(ref.json.beam.sequences);
      });

      it('pipeline: pixel_values from the image files within 1e-5, same ids and text', async () => {
        const { ImageToText } = await import('../pipeline.js');
        const pipe = await ImageToText.fromPretrained(ref.dir);
        try {
          const images = ref.json.images.map((p) => join(REPO_ROOT, p));
          const pv = await pipe.preprocess(images);
          expect(pv.dims).toEqual(pixelValues.dims);
          const diff = maxAbsDiff(pv.data, pixelValues.data);
          diffs.push(`  ${name} pixel_values: ${diff.toExponential(2)}`);
          expect(diff).toBeLessThan(1e-5);
          const result = await pipe.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens });
          expect(result.sequences).toEqual(ref.json.greedy.sequences);
          expect(result.texts).toEqual(ref.json.greedy_text);
        } finally {
          await pipe.dispose();
        }
      });

      const cases = ref.json.interpolate_pos_encoding;
      if (cases.length > 0) {
        it(`interpolatePosEncoding: encoder output at ${cases.map((c) => `${c.height}x${c.width}`).join(', ')} within 1e-4`, async () => {
          for (const c of cases) {
            const info = ref.tensors.info(c.pixel_values);
            const encoded = await model.encode(
              { data: ref.tensors.getFloat32(c.pixel_values), dims: info.shape as PixelBatch['dims'] },
              { interpolatePosEncoding: true },
            );
            expect(encoded.lastHiddenState.dims, `${c.height}x${c.width}`).toEqual(c.shape);
            const diff = maxAbsDiff(encoded.lastHiddenState.data as Float32Array, ref.tensors.getFloat32(c.last_hidden_state));
            diffs.push(`  ${name} ${c.height}x${c.width} last_hidden_state: ${diff.toExponential(2)}`);
            expect(diff, `${c.height}x${c.width}`).toBeLessThan(1e-4);
          }
        });
      }
    });
  }
}
