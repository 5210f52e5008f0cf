import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('layout gradients (Reshape, Flatten, Squeeze, Unsqueeze, Transpose)', () => {
  it('Reshape with 0 and -1 over a symbolic batch, and through Shape arithmetic', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 3, 4], declared: ['batch', 3, 4] }], (g, x) => {
      const heads = g.op('Reshape', [x.x!, g.constInt([0, 0, 2, 2])]);
      const flat = g.op('Reshape', [heads, g.constInt([-1, 4])]);
      const leading = g.op('Slice', [g.op('Shape', [x.x!]), g.constInt([0]), g.constInt([-1])]);
      return g.op('Reshape', [flat, g.op('Concat', [leading, g.constInt([4])], { axis: 0 })]);
    });
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('Flatten, Squeeze (with and without axes), Unsqueeze', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 1, 3] }], (g, x) => {
      const a = g.op('Unsqueeze', [g.op('Squeeze', [x.x!, g.constInt([1])]), g.constInt([0, 3])]);
      const b = g.op('Squeeze', [x.x!]);
      return g.op('Add', [g.op('Flatten', [a], { axis: 2 }), g.op('Reshape', [b, g.constInt([2, 3])])]);
    });
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('Transpose with a permutation and with the default reversal', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 3, 4] }], (g, x) =>
      g.op('Add', [
        g.op('Add', [g.op('Transpose', [x.x!], { perm: [2, 1, 0] }), g.op('Transpose', [x.x!])]),
        g.op('Transpose', [g.op('Transpose', [g.op('Transpose', [x.x!], { perm: [1, 2, 0] })], { perm: [2, 0, 1] })]),
      ]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
