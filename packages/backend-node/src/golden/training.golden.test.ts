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
import { SeededRandom, TrainingSession, VisionEncoderDecoderModel, parseSafetensors, type PixelBatch, type SafetensorsFile, type TensorSource } from '@ved/core';
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

describe('TrainingSession', () => {
  const ref = load('vit-gpt2');
  let model: VisionEncoderDecoderModel;
  beforeAll(async () => {
    model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
  });
  afterAll(async () => {
    await model?.dispose();
  });
  const batch = () => ({ pixelValues: ref.pixelValues, labels: ref.json.labels });

  it('frozen weights (the whole encoder) are neither parameters nor gradients; the others keep their gradients', async () => {
    const session = await TrainingSession.create(model, nodeRuntime, { dropout: false, trainable: (name) => !name.startsWith('encoder.') });
    try {
      const result = await session.step(batch());
      expect([...result.grads.keys()].some((n) => n.startsWith('encoder.'))).toBe(false);
      expect([...session.parameters.keys()].some((n) => n.startsWith('encoder.'))).toBe(false);
      expect(result.grads.size).toBeGreaterThan(0);
      for (const [name, grad] of result.grads) expect(gradientError(grad, ref.tensors.getFloat32(`grad.${name}`)), name).toBeLessThanOrEqual(1);
    } finally {
      await session.dispose();
    }
  });

  it("the tied head's gradient is the sum of the embedding's and the head's (torch's wte.grad)", async () => {
    const session = await TrainingSession.create(model, nodeRuntime, { dropout: false });
    try {
      const name = 'decoder.transformer.wte.weight';
      const { grads } = await session.step(batch());
      expect(session.parameters.has('decoder.lm_head.weight')).toBe(false);
      expect(gradientError(grads.get(name)!, ref.tensors.getFloat32(`grad.${name}`))).toBeLessThanOrEqual(1);
      // Only the head's part: rows of tokens absent from the decoder inputs still get a gradient.
      const used = new Set(ref.json.decoder_input_ids.flat());
      const hidden = grads.get(name)!.length / model.vocabSize;
      const unused = [...Array(model.vocabSize).keys()].find((t) => !used.has(t))!;
      expect(grads.get(name)!.subarray(unused * hidden, (unused + 1) * hidden).some((v) => v !== 0)).toBe(true);
    } finally {
      await session.dispose();
    }
  });

  it('parameters are updated in place by the caller; loss(), step() and toModel() see the new values', async () => {
    const session = await TrainingSession.create(model, nodeRuntime, { dropout: false });
    try {
      const first = await session.step(batch());
      // One SGD step, in place.
      for (const [name, p] of session.parameters) {
        const g = first.grads.get(name)!;
        for (let i = 0; i < p.length; i++) p[i]! -= 0.5 * g[i]!;
      }
      const after = await session.loss(batch());
      expect(after.loss).toBeLessThan(first.loss);
      expect(after.tokens).toBe(ref.json.tokens);
      expect(Math.abs((await session.step(batch())).loss - after.loss)).toBeLessThan(1e-5);
      const trained = await session.toModel();
      try {
        const forward = await trained.forward(batch());
        expect(Math.abs(forward.loss! - after.loss)).toBeLessThan(1e-5);
        // A copy: later updates do not change the model.
        session.parameters.get('decoder.transformer.wte.weight')!.fill(0);
        expect(Math.abs((await trained.forward(batch())).loss! - after.loss)).toBeLessThan(1e-5);
        // Everything the checkpoint had is saved, trained values included.
        const saved = trained.serialize().map((f) => f.name);
        expect(saved).toContain('model.safetensors');
      } finally {
        await trained.dispose();
      }
    } finally {
      await session.dispose();
    }
  });

  it('bad input: typed errors naming the batch field or option', async () => {
    const session = await TrainingSession.create(model, nodeRuntime, { dropout: false });
    try {
      const vocab = model.vocabSize;
      await expect(session.step({ ...batch(), labels: [[1, 2, 3, 4, 5], [1, vocab, -100, -100, -100]] })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(`labels[1][1] is ${vocab}`),
      });
      await expect(session.step({ ...batch(), labels: [[1, 2, 3], [1, 2]] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('labels[1] has 2 tokens') });
      await expect(session.step({ ...batch(), labels: [[1, 2, 3]] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('expected 2 (one per image)') });
      await expect(session.step({ ...batch(), decoderInputIds: [[1, 2, 3, 4, 5], [1, 2, 3, 4, -100]] })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('decoderInputIds[1][4] is -100'),
      });
      const small: PixelBatch = { data: new Float32Array(2 * 3 * 4 * 4), dims: [2, 3, 4, 4] };
      await expect(session.step({ ...batch(), pixelValues: small })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('pixelValues has shape [2, 3, 4, 4]') });
      session.parameters.set('decoder.transformer.wte.weight', new Float32Array(3));
      await expect(session.step(batch())).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('update it in place') });
    } finally {
      await session.dispose();
    }
    await expect(TrainingSession.create(model, nodeRuntime, { trainable: () => false })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('trains float32 weights only: a half-precision trained weight is a typed error, a frozen one is fine', async () => {
    const source = model.weights;
    const half: TensorSource = {
      names: () => source.names(),
      has: (n) => source.has(n),
      info: (n) => (n === 'decoder.transformer.wpe.weight' ? { ...source.info(n), dtype: 'F16' } : source.info(n)),
      getFloat32: (n) => source.getFloat32(n),
      sourceOf: (n) => source.sourceOf(n),
    };
    const fp16 = await VisionEncoderDecoderModel.fromWeights(model.config, half, nodeRuntime);
    try {
      await expect(TrainingSession.create(fp16, nodeRuntime)).rejects.toMatchObject({
        code: 'UNSUPPORTED_DTYPE',
        message: expect.stringContaining('"decoder.transformer.wpe.weight" is stored as F16'),
      });
      const frozen = await TrainingSession.create(fp16, nodeRuntime, { trainable: (n) => n !== 'decoder.transformer.wpe.weight' });
      await frozen.dispose();
    } finally {
      await fp16.dispose();
    }
  });
});
