/**
 * ONNX exports made in Python (torch.onnx.export, Optimum's layout and merge;
 * tools/reference/make_onnx_fixtures.py) load in ved and generate Python's
 * ids: every encoder and decoder family, merged and split decoders,
 * decoder-only and seq2seq cache names, an fp16 decoder; greedy and beam.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxExportModel, type PixelBatch } from '@ved/core';
import { generate, modelGenerationConfig } from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { expectedGreedy, onnxReferences, referencePixels, variantLabel, type OnnxReference } from './onnx-fixtures.js';

const references = onnxReferences();

it('the ONNX fixtures exist (tools/reference/make_onnx_fixtures.py)', () => {
  expect(references.map((r) => r.name)).toEqual(expect.arrayContaining(['vit-gpt2-a', 'vit-gpt2-b']));
});

function run(model: OnnxExportModel, pixelValues: PixelBatch, ref: OnnxReference, numBeams = 1) {
  const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
  return generate(model, { pixelValues, modelGenerationConfig: modelGeneration }, { maxNewTokens: ref.max_new_tokens, numBeams });
}

for (const ref of references) {
  describe(`ONNX export ${ref.name} (${ref.source})`, () => {
    const pixelValues = referencePixels(ref);
    for (const variant of ref.variants) {
      describe(variantLabel(variant), () => {
        let model: OnnxExportModel;
        beforeAll(async () => {
          model = await OnnxExportModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime, { dtype: variant.dtype });
        });
        afterAll(() => model?.dispose());

        it('loads the files the variant names', () => {
          const d = model.layout.decoder;
          const loaded = [model.layout.encoder.path, ...(d.kind === 'merged' ? [d.merged.path] : d.kind === 'split' ? [d.first.path, d.withPast.path] : [d.first.path])];
          for (const f of loaded) expect([...variant.files, 'onnx/encoder_model.onnx']).toContain(f);
          expect(d.kind).toBe(variant.layout);
        });

        it(`greedy ids equal ${variant.expected_greedy === 'transformers' ? "Python's generate()" : 'onnxruntime in Python on the same files'}`, async () => {
          const out = await run(model, pixelValues, ref);
          expect(out.sequences).toEqual(expectedGreedy(ref, variant));
        });

        if (variant.expected_greedy === 'transformers') {
          it(`beam search (${ref.beam.num_beams} beams) ids equal Python's generate()`, async () => {
            const out = await run(model, pixelValues, ref, ref.beam.num_beams);
            expect(out.sequences).toEqual(ref.beam.sequences);
          });
        }
      });
    }
  });
}
