import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { BuildContext } from '../nn/context.js';
import { dropPath, dropout, layerDrop } from '../nn/dropout.js';
import { SeededRandom } from '../random/seeded-random.js';
import { WeightBinder } from '../weights/weight-binder.js';
import { InMemoryTensors } from '../weights/in-memory-tensors.js';
import { DROPOUT_KEYS, HashedDropoutMasks, dropoutSeed, keeps } from './dropout-masks.js';

const N = 200_000;

async function masks(build: (ctx: BuildContext, x: string) => string, dims: number[], keys: BigInt64Array) {
  const g = new GraphBuilder('dropout');
  const masks = new HashedDropoutMasks();
  const ctx = new BuildContext(g, new WeightBinder(new InMemoryTensors()), '', 'fp32', { trainable: () => false, parameter: (n) => n, dropout: masks });
  const x = g.input('x', 'float32', dims);
  g.output('y', build(ctx, x), 'float32', dims);
  const session = await ort.InferenceSession.create(g.build().model);
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1), dims), [DROPOUT_KEYS]: new ort.Tensor('int64', keys, [keys.length]) });
  await session.release();
  return { y: out.y!.data as Float32Array, sites: masks.sites };
}

describe('dropout masks', () => {
  it('keeps a fraction 1 - p, scales kept entries by 1/(1-p), and is the documented hash', async () => {
    for (const p of [0.1, 0.5]) {
      const { y, sites } = await masks((ctx, x) => dropout(ctx, x, p), [N], BigInt64Array.from([123456789n]));
      expect(sites).toBe(1);
      const kept = y.filter((v) => v !== 0);
      const fraction = kept.length / N;
      const sigma = Math.sqrt((p * (1 - p)) / N);
      expect(Math.abs(fraction - (1 - p))).toBeLessThan(5 * sigma);
      expect(new Set(kept)).toEqual(new Set([Math.fround(1 / (1 - p))]));
      for (let i = 0; i < 1000; i++) expect(y[i] !== 0).toBe(keeps(i, 123456789, p));
      // Neighbouring entries are independent: P(both kept) ≈ (1-p)².
      let both = 0;
      for (let i = 0; i + 1 < N; i++) if (y[i] !== 0 && y[i + 1] !== 0) both++;
      expect(Math.abs(both / (N - 1) - (1 - p) ** 2)).toBeLessThan(0.01);
    }
  });

  it('different keys give different masks (steps, sites), the same key the same mask', async () => {
    const p = 0.3;
    const a = (await masks((ctx, x) => dropout(ctx, x, p), [N], BigInt64Array.from([1n]))).y;
    const b = (await masks((ctx, x) => dropout(ctx, x, p), [N], BigInt64Array.from([2n]))).y;
    const again = (await masks((ctx, x) => dropout(ctx, x, p), [N], BigInt64Array.from([1n]))).y;
    expect(again).toEqual(a);
    let differ = 0;
    for (let i = 0; i < N; i++) if ((a[i] === 0) !== (b[i] === 0)) differ++;
    // Independent masks disagree with probability 2p(1-p).
    expect(Math.abs(differ / N - 2 * p * (1 - p))).toBeLessThan(0.01);
    // Two sites of one graph take one key each.
    const two = await masks((ctx, x) => dropout(ctx, dropout(ctx, x, p), p), [N], BigInt64Array.from([5n, 6n]));
    expect(two.sites).toBe(2);
    const kept = two.y.filter((v) => v !== 0).length / N;
    expect(Math.abs(kept - (1 - p) ** 2)).toBeLessThan(0.01);
  });

  it('drop_path drops whole samples; LayerDrop keeps or skips the whole layer', async () => {
    const p = 0.25;
    const rows = 4000;
    const { y } = await masks((ctx, x) => dropPath(ctx, x, p, 3), [rows, 3, 2], BigInt64Array.from([77n]));
    let dropped = 0;
    for (let r = 0; r < rows; r++) {
      const row = y.subarray(r * 6, (r + 1) * 6);
      expect(new Set(row).size).toBe(1);
      if (row[0] === 0) dropped++;
      else expect(row[0]).toBe(Math.fround(1 / (1 - p)));
    }
    expect(Math.abs(dropped / rows - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / rows));
    let skipped = 0;
    const draws = new SeededRandom(4);
    for (let t = 0; t < 200; t++) {
      const key = BigInt(draws.nextUint32());
      const out = (await masks((ctx, x) => layerDrop(ctx, x, ctx.g.op('Mul', [x, ctx.g.constFloat(3)]), 0.5), [2, 2], BigInt64Array.from([key]))).y;
      expect([...out].every((v) => v === out[0])).toBe(true);
      if (out[0] === 1) skipped++;
      else expect(out[0]).toBe(3);
    }
    expect(skipped).toBeGreaterThan(60);
    expect(skipped).toBeLessThan(140);
  });

  it('adds nothing in eval mode, for p = 0, or outside training graphs', async () => {
    const g = new GraphBuilder('eval');
    const plain = new BuildContext(g, new WeightBinder(new InMemoryTensors()), '');
    const evalMode = new BuildContext(g, new WeightBinder(new InMemoryTensors()), '', 'fp32', { trainable: () => true, parameter: (n) => n });
    const x = g.input('x', 'float32', [2]);
    expect(dropout(plain, x, 0.5)).toBe(x);
    expect(dropout(evalMode, x, 0.5)).toBe(x);
    expect(dropPath(evalMode, x, 0.5, 1)).toBe(x);
    expect(g.nodeRecords.length).toBe(0);
    const train = new BuildContext(g, new WeightBinder(new InMemoryTensors()), '', 'fp32', { trainable: () => true, parameter: (n) => n, dropout: new HashedDropoutMasks() });
    expect(dropout(train, x, 0)).toBe(x);
    expect(g.nodeRecords.length).toBe(0);
  });

  it('drawAt: keys from (seed, step, micro-batch), the same in every session, different for each position', () => {
    const masks = new HashedDropoutMasks();
    masks.sites = 4;
    const at = (seed: number, step: number, micro: number) => [...masks.drawAt(seed, step, micro)];
    expect(at(0, 5, 1)).toEqual(at(0, 5, 1));
    expect(at(0, 5, 1)).toEqual([...masks.draw(new SeededRandom(dropoutSeed(0, 5, 1)))]);
    const positions = [at(0, 5, 1), at(0, 5, 0), at(0, 4, 1), at(1, 5, 1), at(0, 1, 5), at(5, 0, 1)].map((k) => k.join(','));
    expect(new Set(positions).size).toBe(positions.length);
    for (const key of at(7, 3, 2)) expect(key >= 0n && key < 2n ** 32n).toBe(true);
    // Pinned: changing the derivation changes every dropout run's masks.
    expect(dropoutSeed(0, 0, 0)).toBe(0x238275bc38fcbe91n);
    expect(dropoutSeed(0, 1, 0)).not.toBe(dropoutSeed(0, 0, 1));
    expect(() => dropoutSeed(0, 1.5, 0)).toThrow(/"dropoutStep" of the dropout masks must be a non-negative integer/);
    expect(() => dropoutSeed(0, 1, -1)).toThrow(/"microBatch"/);
  });
});
