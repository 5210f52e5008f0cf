import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('ReduceSum and ReduceMean gradients', () => {
  for (const op of ['ReduceSum', 'ReduceMean']) {
    for (const keepdims of [0, 1]) {
      it(`${op} over axes [0, -1], keepdims ${keepdims}`, async () => {
        const { worst } = await checkGradients([{ name: 'x', dims: [2, 3, 4] }], (g, x) => g.op(op, [x.x!, g.constInt([0, -1])], { keepdims }));
        expect(worst).toBeLessThanOrEqual(1);
      });
    }
    it(`${op} over every axis, and over a symbolic one`, async () => {
      const { worst } = await checkGradients([{ name: 'x', dims: [2, 3], declared: [2, 'n'] }], (g, x) =>
        g.op('Add', [g.op(op, [x.x!], { keepdims: 0 }), g.op('ReduceSum', [g.op(op, [x.x!, g.constInt([1])], { keepdims: 0 })], { keepdims: 0 })]),
      );
      expect(worst).toBeLessThanOrEqual(1);
    });
  }
});
