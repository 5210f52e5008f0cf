import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { ShapeTable } from './shape-inference.js';

describe('ShapeTable', () => {
  it("follows linear()'s shape arithmetic: Reshape to [-1, K], Gemm, back to [batch, T, N]", () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    const w = g.input('w', 'float32', [5, 8]);
    const flat = g.op('Reshape', [x, g.constInt([-1, 8])]);
    const y = g.op('Gemm', [flat, w], { transB: 1 });
    const leading = g.op('Slice', [g.op('Shape', [x]), g.constInt([0]), g.constInt([-1])]);
    const out = g.op('Reshape', [y, g.op('Concat', [leading, g.constInt([5])], { axis: 0 })]);
    const t = new ShapeTable(g);
    expect(t.info(flat).dims).toEqual(['batch*seq', 8]);
    expect(t.info(y).dims).toEqual(['batch*seq', 5]);
    expect(t.info(leading).ints).toEqual(['batch', 'seq']);
    expect(t.info(out)).toEqual({ type: 'float32', dims: ['batch', 'seq', 5] });
  });

  it('heads, attention scores and a broadcast causal mask', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['batch', 'seq', 12]);
    const q = g.op('Transpose', [g.op('Reshape', [x, g.constInt([0, 0, 3, 4])])], { perm: [0, 2, 1, 3] });
    const scores = g.op('MatMul', [q, g.op('Transpose', [q], { perm: [0, 1, 3, 2] })]);
    const mask = g.input('mask', 'float32', [1, 1, 'seq', 'seq']);
    const masked = g.op('Add', [scores, mask]);
    const t = new ShapeTable(g);
    expect(t.info(q).dims).toEqual(['batch', 3, 'seq', 4]);
    expect(t.info(masked).dims).toEqual(['batch', 3, 'seq', 'seq']);
  });

  it('Conv, Split, Gather, LayerNormalization statistics, Cast types', () => {
    const g = new GraphBuilder('t');
    const pixels = g.input('p', 'float32', ['batch', 3, 10, 8]);
    const conv = g.op('Conv', [pixels, g.input('w', 'float32', [6, 3, 4, 4])], { kernel_shape: [4, 4], strides: [4, 4] });
    const parts = g.opMulti('Split', [g.input('s', 'float32', [2, 9]), g.constInt([3, 3, 3])], { axis: -1 }, { outputs: 3 });
    const table = g.input('table', 'float32', [50, 7]);
    const rows = g.op('Gather', [table, g.input('ids', 'int64', ['batch', 'seq'])], { axis: 0 });
    const ln = g.opMulti('LayerNormalization', [rows, g.input('gamma', 'float32', [7])], { axis: -1 }, { outputs: 3 });
    const mask = g.op('Cast', [g.op('Equal', [rows, rows])], { to: 1 });
    const t = new ShapeTable(g);
    expect(t.info(conv).dims).toEqual(['batch', 6, 2, 2]);
    expect(t.info(parts[1]!).dims).toEqual([2, 3]);
    expect(t.info(rows).dims).toEqual(['batch', 'seq', 7]);
    expect(t.info(ln[1]!).dims).toEqual(['batch', 'seq', 1]);
    expect(t.info(mask).type).toBe('float32');
  });
});
