/**
 * Golden tests of training gradients against torch autograd (transformers
 * 5.18, tools/reference/make_training_fixtures.py): for tiny composed models
 * covering every encoder family (ViT, DeiT, BEiT, Swin, DonutSwin) and every
 * decoder family (GPT-2, TrOCR, BERT, BART, mBART, RoBERTa), one with
 * `enc_to_dec_proj` and tied and untied heads, core's `TrainingSession` in
 * eval mode (dropout off) gives torch's loss within 1e-5 and the gradient of
 * every parameter within 1e-4 relative (1e-6 absolute near zero); frozen
 * weights get no gradient; the tied head's gradient is the sum of both uses.
 */
import '../register-builtins.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom, TrainingSession, VisionEncoderDecoderModel, parseSafetensors, type PixelBatch, type SafetensorsFile } from '@ved/core';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { fixturePath } from '../test-utils/fixtures.js';

interface TrainingReference {
  loss: number;
  tokens: number;
  labels: number[][];
  decoder_input_ids: number[][];
  no_grad: string[];
}

const RTOL = 1e-4;
const ATOL = 1e-6;

function load(name: string) {
  const dir = fixturePath('training', name);
  const json = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as TrainingReference;
  const bytes = readFileSync(join(dir, 'reference.safetensors'));
  const tensors: SafetensorsFile = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
  const info = tensors.info('pixel_values');
  const pixelValues: PixelBatch = { data: tensors.getFloat32('pixel_values'), dims: info.shape as [number, number, number, number] };
  return { dir, json, tensors, pixelValues };
}

/** Largest |got - want| / (ATOL + RTOL |want|) over the tensor (≤ 1 passes). */
export function gradientError(got: Float32Array, want: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (ATOL + RTOL * Math.abs(want[i]!)));
  return worst;
}

/** The fixtures and what each adds to the coverage. */
export const TRAINING_FIXTURES = ['vit-gpt2', 'deit-trocr', 'beit-bert', 'swin-bart', 'donut-mbart', 'vit-roberta'] as const;

for (const name of TRAINING_FIXTURES) {
  describe(`training gradients: ${name}`, () => {
    const ref = load(name);
    let model: VisionEncoderDecoderModel;
    let session: TrainingSession;

    beforeAll(async () => {
      model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
      session = await TrainingSession.create(model, nodeRuntime, { dropout: false });
    });
    afterAll(async () => {
      await session?.dispose();
      await model?.dispose();
    });

    it('loss within 1e-5 and every gradient within 1e-4 relative of torch autograd', async () => {
      const result = await session.step({ pixelValues: ref.pixelValues, labels: ref.json.labels });
      expect(Math.abs(result.loss - ref.json.loss)).toBeLessThan(1e-5);
      expect(result.tokens).toBe(ref.json.tokens);
      const expected = ref.tensors.names().filter((n) => n.startsWith('grad.')).map((n) => n.slice('grad.'.length));
      expect([...result.grads.keys()].sort()).toEqual(expected.sort());
      expect([...session.parameters.keys()].sort()).toEqual(expected.sort());
      const errors = expected.map((n) => ({ name: n, error: gradientError(result.grads.get(n)!, ref.tensors.getFloat32(`grad.${n}`)) }));
      const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
      console.log(`${name}: loss |Δ| ${Math.abs(result.loss - ref.json.loss).toExponential(2)}, worst gradient ${worst.name} at ${worst.error.toFixed(3)} of the tolerance`);
      expect(errors.filter((e) => e.error > 1)).toEqual([]);
      // Weights the loss does not use (the encoder's pooler) are not parameters.
      for (const n of ref.json.no_grad) expect(session.parameters.has(n)).toBe(false);
    });

    it('the given decoder inputs are the shifted labels, as Python shifts them', async () => {
      const shifted = await session.step({ pixelValues: ref.pixelValues, labels: ref.json.labels, decoderInputIds: ref.json.decoder_input_ids });
      const loss = await session.loss({ pixelValues: ref.pixelValues, labels: ref.json.labels });
      expect(Math.abs(shifted.loss - ref.json.loss)).toBeLessThan(1e-5);
      expect(Math.abs(loss.loss - ref.json.loss)).toBeLessThan(1e-5);
    });
  });
}

/**
 * Every op of every configuration the inference fixtures cover (Swin padding,
 * BEiT shared bias tables, sinusoidal TrOCR positions, the activations…) has
 * a gradient rule: the training graph of each fixture checkpoint builds and
 * runs, its loss equals the inference graphs' `forward()` loss (checked
 * against Python by the golden tests), and its gradients are finite.
 */
describe('training graphs of every inference fixture', () => {
  const dirs = ['encoders', 'decoders', 'models'].flatMap((kind) =>
    readdirSync(fixturePath(kind), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'tokenizers')
      .map((d) => fixturePath(kind, d.name)),
  );
  for (const dir of dirs) {
    it(dir.split('/fixtures/')[1]!, async () => {
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      const session = await TrainingSession.create(model, nodeRuntime, { dropout: false });
      try {
        const rng = new SeededRandom(7);
        const [h, w] = model.imageSize;
        const pixelValues: PixelBatch = { data: Float32Array.from({ length: 2 * 3 * h * w }, () => rng.normal()), dims: [2, 3, h, w] };
        const id = () => Math.floor(rng.nextDouble() * model.vocabSize);
        const labels = [[id(), id(), id(), id()], [id(), id(), -100, -100]];
        const decoderInputIds = [[id(), id(), id(), id()], [id(), id(), id(), id()]];
        const reference = (await model.forward({ pixelValues, labels, decoderInputIds })).loss!;
        const step = await session.step({ pixelValues, labels, decoderInputIds });
        expect(Math.abs(step.loss - reference)).toBeLessThan(2e-5 * Math.max(1, reference));
        expect(Math.abs((await session.loss({ pixelValues, labels, decoderInputIds })).loss - reference)).toBeLessThan(2e-5 * Math.max(1, reference));
        for (const [name, grad] of step.grads) expect(grad.every(Number.isFinite), name).toBe(true);
      } finally {
        await session.dispose();
        await model.dispose();
      }
    });
  }
});
