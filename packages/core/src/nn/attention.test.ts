import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { SeededRandom } from '../random/seeded-random.js';
import { fusedAttention, mergeHeads, scaledDotProductAttention, splitHeads } from './attention.js';

/** Runs both attention forms on the same q, k, v [B, T, heads*d] (and an optional bias [1, heads, T, T]). */
async function bothForms(b: number, tq: number, tk: number, heads: number, d: number, withBias: boolean): Promise<[Float32Array, Float32Array]> {
  const D = heads * d;
  const g = new GraphBuilder('attention');
  const q = g.input('q', 'float32', [b, tq, D]);
  const k = g.input('k', 'float32', [b, tk, D]);
  const v = g.input('v', 'float32', [b, tk, D]);
  const bias = withBias ? g.input('bias', 'float32', [1, heads, tq, tk]) : undefined;
  const scale = 1 / Math.sqrt(d);
  const decomposed = mergeHeads(
    g,
    scaledDotProductAttention(g, splitHeads(g, q, heads, d), splitHeads(g, k, heads, d), splitHeads(g, v, heads, d), { scale, ...(bias ? { bias } : {}) }),
    D,
  );
  g.output('decomposed', decomposed, 'float32', [b, tq, D]);
  g.output('fused', fusedAttention(g, q, k, v, { heads, scale, ...(bias ? { bias } : {}) }), 'float32', [b, tq, D]);
  const session = await ort.InferenceSession.create(g.build().model);
  const rng = new SeededRandom(11);
  const tensor = (dims: number[]) => new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => rng.normal()), dims);
  const feeds: Record<string, ort.Tensor> = { q: tensor([b, tq, D]), k: tensor([b, tk, D]), v: tensor([b, tk, D]) };
  if (bias) feeds.bias = tensor([1, heads, tq, tk]);
  const out = await session.run(feeds);
  return [out.decomposed!.data as Float32Array, out.fused!.data as Float32Array];
}

describe('fusedAttention (com.microsoft.MultiHeadAttention)', () => {
  for (const [name, b, tq, tk, heads, d, bias] of [
    ['self-attention, one image', 1, 17, 17, 4, 8, false],
    ['self-attention, a batch', 3, 9, 9, 2, 16, false],
    ['cross-attention lengths', 2, 5, 11, 3, 8, false],
    ['with a relative position bias', 2, 10, 10, 4, 8, true],
  ] as const) {
    it(`equals the decomposed attention: ${name}`, async () => {
      const [want, got] = await bothForms(b, tq, tk, heads, d, bias);
      expect(got.length).toBe(want.length);
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
      expect(diff).toBeLessThan(1e-5);
    });
  }
});
