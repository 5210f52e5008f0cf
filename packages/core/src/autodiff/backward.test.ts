import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { addGradients } from './backward.js';
import { registerGradient } from './gradient-rule.js';
import { checkGradients } from './testing/gradient-check.js';

describe('addGradients', () => {
  it('differentiates only what depends on the requested inputs: a frozen weight adds no node', async () => {
    const build = (wrt: string[]) => {
      const g = new GraphBuilder('t');
      const x = g.input('x', 'float32', [2, 3]);
      const w = g.input('w', 'float32', [3, 3]);
      const frozen = g.input('frozen', 'float32', [3, 3]);
      const y = g.op('MatMul', [g.op('MatMul', [x, frozen]), w]);
      const before = g.nodeRecords.length;
      const grads = addGradients(g, g.op('ReduceSum', [y], { keepdims: 0 }), wrt);
      return { grads, added: g.nodeRecords.length - before - 1 };
    };
    const onlyW = build(['w']);
    const both = build(['w', 'frozen']);
    expect([...onlyW.grads.keys()]).toEqual(['w']);
    expect(onlyW.added).toBeLessThan(both.added);
  });

  it('a weight used twice (tied) gets the sum of both gradients', async () => {
    const { worst, analytic } = await checkGradients([{ name: 'emb', dims: [4, 3] }], (g, x) => {
      const looked = g.op('Gather', [x.emb!, g.constInt([1, 3], [2])], { axis: 0 }); // [2, 3]
      return g.op('Gemm', [looked, x.emb!], { transB: 1 }); // [2, 4], the head tied to the embedding
    });
    expect(worst).toBeLessThanOrEqual(1);
    expect(analytic.get('emb')!.every(Number.isFinite)).toBe(true);
  });

  it('an input the output does not depend on is absent from the result', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [2]);
    const unused = g.input('unused', 'float32', [2]);
    const grads = addGradients(g, g.op('ReduceSum', [g.op('Mul', [x, x])], { keepdims: 0 }), ['x', 'unused']);
    expect(grads.has('x')).toBe(true);
    expect(grads.has('unused')).toBe(false);
    void unused;
  });

  it('an op without a rule on the path is a typed error naming it; registerGradient adds one', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [3]);
    const y = g.op('Elu', [x]);
    expect(() => addGradients(g, y, ['x'], { seed: g.input('dy', 'float32', [3]) })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('No gradient rule for the ONNX op Elu') }));
    // elu' = 1 for x > 0, else exp(x) (alpha 1).
    registerGradient('Elu', (ctx, [dy]) => {
      const x = ctx.node.inputs[0]!;
      return [ctx.g.op('Mul', [dy!, ctx.g.op('Where', [ctx.g.op('Greater', [x, ctx.scalar(0, x)]), ctx.scalar(1, x), ctx.g.op('Exp', [x])])])];
    });
    const { worst } = await checkGradients([{ name: 'x', dims: [3], values: [-1.3, 0.4, 2.2] }], (gb, v) => gb.op('Elu', [v.x!]), { type: 'float32' });
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('non-differentiable paths (shapes, indices, masks, comparisons) carry no gradient', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 3] }], (g, x) => {
      const n = g.op('Cast', [g.op('Shape', [x.x!], { start: 1, end: 2 })], { to: 11 });
      const positive = g.op('Cast', [g.op('Greater', [x.x!, g.constFloat(0, [], 'float64')])], { to: 11 });
      return g.op('Mul', [g.op('Mul', [x.x!, n]), positive]);
    });
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('broadcasting that cannot be decided when the graph is built is reduced at run time', async () => {
    const g = new GraphBuilder('t');
    // Two different symbolic dims: which one broadcasts is only known at run time.
    const a = g.input('a', 'float32', ['m', 3]);
    const b = g.input('b', 'float32', ['n', 3]);
    const y = g.op('ReduceSum', [g.op('Mul', [g.op('Add', [a, b]), g.op('Add', [a, b])])], { keepdims: 0 });
    const grads = addGradients(g, y, ['a', 'b']);
    g.output('da', grads.get('a')!, 'float32', ['m', 3]);
    g.output('db', grads.get('b')!, 'float32', ['n', 3]);
    const s = await ort.InferenceSession.create(g.build().model);
    const out = await s.run({ a: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]), b: new ort.Tensor('float32', Float32Array.from([1, 1, 1]), [1, 3]) });
    // y = Σ (a + b)²: da = 2(a + b), db = Σ_rows 2(a + b).
    expect([...(out.da!.data as Float32Array)]).toEqual([4, 6, 8, 10, 12, 14]);
    expect(out.db!.dims).toEqual([1, 3]);
    expect([...(out.db!.data as Float32Array)]).toEqual([14, 18, 22]);
  });
});
