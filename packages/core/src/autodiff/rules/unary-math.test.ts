import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('unary math gradients', () => {
  for (const op of ['Sqrt', 'Exp', 'Log', 'Reciprocal', 'Erf', 'Sin', 'Cos']) {
    it(`${op} matches finite differences`, async () => {
      const positive = ['Sqrt', 'Log', 'Reciprocal'].includes(op);
      const { worst } = await checkGradients([{ name: 'x', dims: [2, 5], positive }], (g, x) => g.op(op, [x.x!]), op === 'Erf' ? { type: 'float32' } : {});
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('Pow with respect to base and exponent (broadcast exponent)', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'a', dims: [3, 4], positive: true },
        { name: 'b', dims: [4] },
      ],
      (g, x) => g.op('Pow', [x.a!, x.b!]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
