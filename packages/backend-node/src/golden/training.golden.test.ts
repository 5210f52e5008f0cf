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
import {
  DROPOUT_KEYS,
  SeededRandom,
  TrainingSession,
  VisionEncoderDecoderModel,
  WeightBinder,
  buildTrainingGraph,
  createSession,
  gradName,
  parseSafetensors, type PixelBatch, type SafetensorsFile, type TensorSource } from '@ved/core';
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
        code: 'TOKEN_OUT_OF_RANGE',
        message: expect.stringContaining(`labels[1][1] is ${vocab}`),
      });
      // GPT-2's n_positions is 12 in this fixture.
      const long = Array.from({ length: 13 }, () => 3);
      await expect(session.step({ ...batch(), labels: [long, long] })).rejects.toMatchObject({ code: 'SEQUENCE_TOO_LONG' });
      await expect(session.step({ ...batch(), labels: [[1, 2, 3], [1, 2]] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('labels[1] has 2 tokens') });
      await expect(session.step({ ...batch(), labels: [[1, 2, 3]] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('expected 2 (one per image)') });
      await expect(session.step({ ...batch(), decoderInputIds: [[1, 2, 3, 4, 5], [1, 2, 3, 4, -100]] })).rejects.toMatchObject({
        code: 'TOKEN_OUT_OF_RANGE',
        message: expect.stringContaining('decoderInputIds[1][4] is -100'),
      });
      const small: PixelBatch = { data: new Float32Array(2 * 3 * 4 * 4), dims: [2, 3, 4, 4] };
      await expect(session.step({ ...batch(), pixelValues: small })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('pixelValues has shape [2, 3, 4, 4]') });
      session.parameters.set('decoder.transformer.wte.weight', new Float32Array(3));
      await expect(session.step(batch())).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('update it in place') });
    } finally {
      await session.dispose();
    }
    await expect(session.step(batch())).rejects.toMatchObject({ code: 'DISPOSED' });
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

/**
 * Train-mode dropout where the Hugging Face modeling files apply it: one
 * dropout site per place (counted per fixture config), masks that change from
 * step to step and repeat for a seed, and gradients that go through the same
 * masks as the forward.
 */
describe('train-mode dropout', () => {
  // Sites per fixture, counted from the modeling files and each config (defaults as transformers'):
  // GPT-2 (1 layer): embeddings, self probs + resid, cross probs + resid, MLP resid = 6 (ViT's rates are 0).
  // TrOCR (1 layer, dropout 0.1, attention/activation 0): embeddings + self, cross, fc2 = 4 (DeiT 0).
  // BEiT (2 layers, drop_path 0.1 → 0 and 0.1): 2 drop paths; BERT (1 layer): embeddings, 2 × (probs, output), FFN = 6.
  // Swin (3 blocks, drop_path 0, 0.05, 0.1): 2; BART/mBART (2 layers): embeddings + 2 × 3 = 7. RoBERTa as BERT.
  const SITES: Record<(typeof TRAINING_FIXTURES)[number], number> = { 'vit-gpt2': 6, 'deit-trocr': 4, 'beit-bert': 8, 'swin-bart': 9, 'donut-mbart': 9, 'vit-roberta': 6 };
  for (const name of TRAINING_FIXTURES) {
    it(`${name}: ${SITES[name]} dropout sites`, async () => {
      const ref = load(name);
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
      try {
        const graph = buildTrainingGraph(model.parts, new WeightBinder(model.weights), { trainable: () => true, dropout: true, backward: false });
        expect(graph.dropout?.sites ?? 0).toBe(SITES[name]);
      } finally {
        await model.dispose();
      }
    });
  }

  it('losses differ from step to step, repeat for the same seed, differ for another; dropout: false is the eval loss', async () => {
    const ref = load('vit-gpt2');
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
    const batch = { pixelValues: ref.pixelValues, labels: ref.json.labels };
    const run = async (options: { seed?: number; dropout?: boolean }, steps: number) => {
      const session = await TrainingSession.create(model, nodeRuntime, options);
      try {
        const out = [];
        for (let i = 0; i < steps; i++) out.push(await session.step(batch));
        return { out, eval: await session.loss(batch) };
      } finally {
        await session.dispose();
      }
    };
    try {
      const a = await run({ seed: 3 }, 3);
      const b = await run({ seed: 3 }, 3);
      const c = await run({ seed: 4 }, 1);
      const off = await run({ dropout: false }, 1);
      expect(new Set(a.out.map((r) => r.loss)).size).toBe(3);
      expect(b.out.map((r) => r.loss)).toEqual(a.out.map((r) => r.loss));
      expect(b.out[2]!.grads.get('decoder.transformer.wte.weight')).toEqual(a.out[2]!.grads.get('decoder.transformer.wte.weight'));
      expect(c.out[0]!.loss).not.toBe(a.out[0]!.loss);
      expect(Math.abs(off.out[0]!.loss - ref.json.loss)).toBeLessThan(1e-5);
      // loss() is eval mode whatever the session's dropout.
      expect(Math.abs(a.eval.loss - ref.json.loss)).toBeLessThan(1e-5);
    } finally {
      await model.dispose();
    }
  });

  it('masks keyed by (seed, dropoutStep, microBatch) do not depend on the steps before (exact resume)', async () => {
    const ref = load('vit-gpt2');
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
    const batch = { pixelValues: ref.pixelValues, labels: ref.json.labels };
    const a = await TrainingSession.create(model, nodeRuntime, { seed: 3 });
    const b = await TrainingSession.create(model, nodeRuntime, { seed: 3 });
    try {
      await a.step(batch, { dropoutStep: 1 });
      await a.step(batch);
      const fromA = await a.step(batch, { dropoutStep: 2, microBatch: 1 });
      const lossA = fromA.loss;
      const gradA = Float32Array.from(fromA.grads.get('decoder.transformer.wte.weight')!);
      const fromB = await b.step(batch, { dropoutStep: 2, microBatch: 1 });
      expect(fromB.loss).toBe(lossA);
      expect(fromB.grads.get('decoder.transformer.wte.weight')).toEqual(gradA);
      // Another micro-batch or step draws other masks.
      expect((await b.step(batch, { dropoutStep: 2, microBatch: 0 })).loss).not.toBe(lossA);
      expect((await b.step(batch, { dropoutStep: 3, microBatch: 1 })).loss).not.toBe(lossA);
      await expect(b.step(batch, { dropoutStep: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    } finally {
      await a.dispose();
      await b.dispose();
      await model.dispose();
    }
  });

  it('gradients go through the same masks: directional finite differences with fixed dropout keys', async () => {
    const ref = load('swin-bart');
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
    try {
      // Swin's drop paths and BART's dropout (0.1) at fixed keys: the loss is a smooth function of the weights.
      const graph = buildTrainingGraph(model.parts, new WeightBinder(model.weights), { trainable: () => true, dropout: true, backward: true });
      const session = await createSession(nodeRuntime, graph.built);
      const keys = graph.dropout!.draw(new SeededRandom(9));
      const rng = new SeededRandom(10);
      const params = new Map(graph.parameters.map(({ name }) => [name, Float32Array.from(model.weights.getFloat32(name))]));
      const direction = new Map(graph.parameters.map(({ name, shape }) => [name, Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.normal())]));
      // The pad row of embed_tokens (nn.Embedding's padding_idx) is left out: the decoder inputs look it up
      // before scored tokens, and torch's gradient, which ved's follows, deliberately skips those lookups.
      const pad = ref.json.decoder_input_ids[1]!.at(-1)!;
      const tokens = graph.parameters.find(({ name }) => name.endsWith('embed_tokens.weight'))!;
      direction.get(tokens.name)!.fill(0, pad * tokens.shape[1]!, (pad + 1) * tokens.shape[1]!);
      const t = (data: BigInt64Array | Float32Array, dims: number[]) => nodeRuntime.tensor(data instanceof Float32Array ? 'float32' : 'int64', data, dims);
      const ids = (rows: number[][]) => BigInt64Array.from(rows.flat(), BigInt);
      const run = async (scale: number) => {
        const feeds: Record<string, ReturnType<typeof t>> = {
          pixel_values: t(ref.pixelValues.data, ref.pixelValues.dims),
          decoder_input_ids: t(ids(ref.json.decoder_input_ids), [2, ref.json.labels[0]!.length]),
          labels: t(ids(ref.json.labels), [2, ref.json.labels[0]!.length]),
          [DROPOUT_KEYS]: t(keys, [keys.length]),
        };
        for (const { name, shape } of graph.parameters) {
          const p = params.get(name)!;
          const d = direction.get(name)!;
          feeds[name] = t(Float32Array.from(p, (v, i) => v + scale * d[i]!), shape);
        }
        return session.run(feeds);
      };
      const base = await run(0);
      let analytic = 0;
      for (const { name } of graph.parameters) {
        const g = base[gradName(name)]!.data as Float32Array;
        const d = direction.get(name)!;
        for (let i = 0; i < g.length; i++) analytic += g[i]! * d[i]!;
      }
      const h = 1e-3;
      const loss = async (s: number) => ((await run(s)).loss!.data as Float32Array)[0]!;
      const numeric = ((await loss(h)) - (await loss(-h))) / (2 * h);
      expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(1e-2);
      await session.release();
    } finally {
      await model.dispose();
    }
  });
});
