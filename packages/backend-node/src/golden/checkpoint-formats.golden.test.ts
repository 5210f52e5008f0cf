/**
 * Golden tests of the weights formats besides safetensors (fixtures/formats, written by
 * tools/reference/make_checkpoint_format_fixtures.py): `pytorch_model.bin` single, sharded and
 * bfloat16 (Python: transformers 5.18 `from_pretrained`), `tf_model.h5` and `flax_model.msgpack`
 * (Python: transformers 4.57's from_tf / from_flax loading code). For each, ved's teacher-forced
 * logits, loss and greedy ids equal Python's.
 */
import '../register-builtins.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TorchCheckpoint, VisionEncoderDecoderModel, loadWeights, type PixelBatch } from '@ved/core';
import { generate, modelGenerationConfig } from '@ved/generation';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { fixturePath, maxAbsDiff } from '../test-utils/fixtures.js';

interface FormatReference {
  python: string;
  logits_shape: number[];
  logits: number[];
  loss: number;
  greedy: number[][];
}

interface PairReference {
  pixel_values_shape: number[];
  pixel_values: number[];
  decoder_input_ids: number[][];
  labels: number[][];
  max_new_tokens: number;
  formats: Record<string, FormatReference>;
}

const PAIRS = ['vit-gpt2', 'deit-trocr', 'swin-bert', 'vit-bert'];

for (const pair of PAIRS) {
  const ref = JSON.parse(readFileSync(fixturePath('formats', pair, 'reference.json'), 'utf8')) as PairReference;
  const pixelValues: PixelBatch = { data: Float32Array.from(ref.pixel_values), dims: ref.pixel_values_shape as PixelBatch['dims'] };

  describe.each(Object.entries(ref.formats))(`${pair} %s`, (format, expected) => {
    const dir = fixturePath('formats', pair, format);
    let model: VisionEncoderDecoderModel;
    const warnings: string[] = [];

    beforeAll(async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation((message: string) => void warnings.push(message));
      try {
        model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      } finally {
        warn.mockRestore();
      }
    });
    afterAll(() => model?.dispose());

    it(`teacher-forced logits within 1e-4 of ${expected.python}`, async () => {
      const logits = await model.logits(pixelValues, ref.decoder_input_ids);
      expect([logits.rows, logits.positions, logits.vocab]).toEqual(expected.logits_shape);
      expect(maxAbsDiff(logits.data, expected.logits)).toBeLessThan(1e-4);
    });

    it('loss within 1e-5', async () => {
      const out = await model.forward({ pixelValues, labels: ref.labels });
      expect(Math.abs(out.loss! - expected.loss)).toBeLessThan(1e-5);
    });

    it('greedy ids identical', async () => {
      const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
      const out = await generate(model, { pixelValues, modelGenerationConfig: modelGeneration }, { maxNewTokens: ref.max_new_tokens });
      expect(out.sequences).toEqual(expected.greedy);
    });

    const converted = format === 'tf' || format === 'flax';
    it(converted ? 'one warning line says the weights are converted TF/Flax weights' : 'no warning', () => {
      if (converted) {
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(format === 'tf' ? /tf_model\.h5.*from_tf=True/ : /flax_model\.msgpack.*from_flax=True/);
      } else {
        expect(warnings).toEqual([]);
      }
    });
  });
}

describe('pytorch_model.bin on disk', () => {
  it('float32 storages reach onnxruntime as ranges of the file (external data), not through JavaScript', async () => {
    const weights = await loadWeights(new DirectoryFiles(fixturePath('formats', 'vit-gpt2', 'bin')));
    expect(weights).toBeInstanceOf(TorchCheckpoint);
    const external = weights.names().filter((name) => weights.external?.(name) !== undefined);
    expect(external.length).toBe(weights.names().length);
  });

  it('sharded: every shard listed in the index is read, tensors from all of them', async () => {
    const dir = fixturePath('formats', 'vit-gpt2', 'bin-sharded');
    const index = JSON.parse(readFileSync(join(dir, 'pytorch_model.bin.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(new Set(Object.values(index.weight_map)).size).toBeGreaterThan(3);
    const weights = await loadWeights(new DirectoryFiles(dir));
    expect(weights.names().sort()).toEqual(Object.keys(index.weight_map).sort());
  });

  it('safetensors wins over .bin, and .bin over TF/Flax, as in transformers', async () => {
    expect(existsSync(fixturePath('formats', 'vit-gpt2', 'bin', 'model.safetensors'))).toBe(false);
    const both = new DirectoryFiles(fixturePath('models', 'vit-gpt2-a'));
    const files = {
      location: 'memory',
      exists: async (name: string) => name === 'pytorch_model.bin' || (await both.exists(name)),
      readBytes: (name: string) => both.readBytes(name),
    };
    const weights = await loadWeights(files);
    expect(weights).not.toBeInstanceOf(TorchCheckpoint);
  });
});
