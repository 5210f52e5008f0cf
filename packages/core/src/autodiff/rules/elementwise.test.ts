import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('elementwise gradients', () => {
  it('Add, Sub, Mul, Div with broadcasting (leading and inner axes) sum back to each operand', async () => {
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
      const { worst } = await checkGradients(
        [
          { name: 'a', dims: [2, 3, 4] },
          { name: 'b', dims: [3, 1], positive: true },
        ],
        (g, x) => g.op(op, [x.a!, x.b!]),
      );
      expect(worst, op).toBeLessThanOrEqual(1);
    }
  });

  it('symbolic dimensions broadcast statically ([batch, T, H] + [H], [1, T, H])', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'x', dims: [2, 3, 4], declared: ['batch', 'seq', 4] },
        { name: 'bias', dims: [4] },
        { name: 'pos', dims: [1, 3, 4], declared: [1, 'seq', 4] },
      ],
      (g, x) => g.op('Mul', [g.op('Add', [g.op('Add', [x.x!, x.bias!]), x.pos!]), x.x!]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('Neg, Sum, Identity, float Cast; a value used twice gets both gradients', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'a', dims: [3, 2] },
        { name: 'b', dims: [2] },
      ],
      (g, x) => {
        const s = g.op('Sum', [x.a!, x.b!, x.a!]);
        const c = g.op('Cast', [g.op('Identity', [s])], { to: 11 });
        return g.op('Neg', [g.op('Mul', [c, x.a!])]);
      },
    );
    expect(worst).toBeLessThanOrEqual(1);
    // float32 → float64 → float32: the gradient comes back in float32.
    const mixed = await checkGradients([{ name: 'a', dims: [3, 2] }], (g, x) => g.op('Mul', [g.op('Cast', [g.op('Cast', [x.a!], { to: 11 })], { to: 1 }), x.a!]), {
      type: 'float32',
    });
    expect(mixed.worst).toBeLessThanOrEqual(1);
  });
});
