import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('Softmax and LogSoftmax gradients', () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const axis of [-1, 1]) {
      it(`${op} along axis ${axis}`, async () => {
        const { worst } = await checkGradients([{ name: 'x', dims: [2, 3, 4] }], (g, x) => g.op(op, [x.x!], { axis }));
        expect(worst).toBeLessThanOrEqual(1);
      });
    }
  }

  it('attention: softmax(q kᵀ · scale + additive mask) v, the mask constant', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'q', dims: [1, 2, 3, 4] },
        { name: 'k', dims: [1, 2, 3, 4] },
        { name: 'v', dims: [1, 2, 3, 4] },
      ],
      (g, x) => {
        const mask = g.constFloat([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [1, 1, 3, 3], 'float64');
        const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [x.q!, g.op('Transpose', [x.k!], { perm: [0, 1, 3, 2] })]), g.constFloat(0.5, [], 'float64')]), mask]);
        return g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), x.v!]);
      },
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
