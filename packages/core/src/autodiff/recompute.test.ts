import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { scaledDotProductAttention } from '../nn/attention.js';
import { SeededRandom } from '../random/seeded-random.js';
import { addGradients } from './backward.js';

const B = 2;
const H = 2;
const T = 12;
const D = 4;

/** Loss Σ attention(q, k, v)·r with a mask and a bias, and its gradients w.r.t. q, k, v. */
function build(recomputeAttention: boolean) {
  const g = new GraphBuilder('t');
  const q = g.input('q', 'float32', ['batch', H, T, D]);
  const k = g.input('k', 'float32', ['batch', H, T, D]);
  const v = g.input('v', 'float32', ['batch', H, T, D]);
  const r = g.input('r', 'float32', ['batch', H, T, D]);
  const mask = g.input('mask', 'float32', ['batch', 1, 1, T]);
  const bias = g.input('bias', 'float32', [1, H, T, T]);
  // q and k go through a product first, as projections do (so that they are forward values, not inputs).
  const scale = g.constFloat(1.5);
  const out = scaledDotProductAttention(g, g.op('Mul', [q, scale]), g.op('Mul', [k, scale]), v, { scale: D ** -0.5, mask, bias });
  const loss = g.op('ReduceSum', [g.op('Mul', [out, r])], { keepdims: 0 });
  const forward = g.nodeRecords.length;
  const probs = g.nodeRecords.find((n) => n.type === 'Softmax')!.outputs[0]!;
  const grads = addGradients(g, loss, ['q', 'k', 'v'], { recomputeAttention });
  for (const name of ['q', 'k', 'v']) g.output(`${name}.grad`, grads.get(name)!, 'float32', ['batch', H, T, D]);
  const backward = g.nodeRecords.slice(forward);
  return { model: g.build().model, probsReadByBackward: backward.some((n) => n.inputs.includes(probs)), softmaxes: g.nodeRecords.filter((n) => n.type === 'Softmax').length };
}

describe('recomputing attention probabilities in the backward', () => {
  it('gives the same gradients, and the backward no longer reads the forward probabilities', async () => {
    const rng = new SeededRandom(3);
    const feed = (dims: number[]) => new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal()), dims);
    const mask = new Float32Array(B * T);
    mask[T - 1] = -1e9; // the first row cannot see its last key
    const feeds = { q: feed([B, H, T, D]), k: feed([B, H, T, D]), v: feed([B, H, T, D]), r: feed([B, H, T, D]), mask: new ort.Tensor('float32', mask, [B, 1, 1, T]), bias: feed([1, H, T, T]) };
    const kept = build(false);
    const again = build(true);
    expect(kept.probsReadByBackward).toBe(true);
    expect(again.probsReadByBackward).toBe(false);
    expect(again.softmaxes).toBe(2);
    const run = async (model: Uint8Array) => (await ort.InferenceSession.create(model)).run(feeds);
    const [a, b] = await Promise.all([run(kept.model), run(again.model)]);
    for (const name of ['q.grad', 'k.grad', 'v.grad']) {
      const x = a[name]!.data as Float32Array;
      const y = b[name]!.data as Float32Array;
      expect(y.length).toBe(x.length);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
      // Not bit for bit: onnxruntime may fuse the copy's transpose and scale differently (float32 rounding).
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('leaves attention whose key length is not larger than the head size as it is', () => {
    const g = new GraphBuilder('t');
    const q = g.input('q', 'float32', [1, 1, 'sequence', 8]);
    const out = scaledDotProductAttention(g, g.op('Relu', [q]), g.op('Relu', [q]), g.op('Relu', [q]), { scale: 1 });
    const before = g.nodeRecords.filter((n) => n.type === 'Softmax').length;
    addGradients(g, g.op('ReduceSum', [out], { keepdims: 0 }), ['q'], { recomputeAttention: true });
    expect(g.nodeRecords.filter((n) => n.type === 'Softmax').length).toBe(before);
  });
});
