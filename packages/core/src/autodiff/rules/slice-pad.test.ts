import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('Slice and Pad gradients', () => {
  it('Slice with negative starts, clamped ends, several axes', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [3, 5, 4] }], (g, x) =>
      g.op('Add', [
        g.op('Slice', [x.x!, g.constInt([-2, 1]), g.constInt([100, 3]), g.constInt([1, 2])]),
        g.op('Slice', [x.x!, g.constInt([0, 2]), g.constInt([2, 4]), g.constInt([1, 2])]),
      ]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('Slice along a symbolic axis (the pads come from the shape at run time)', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 5], declared: [2, 'n'] }], (g, x) =>
      g.op('Slice', [x.x!, g.constInt([1]), g.constInt([-1]), g.constInt([1])]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("Swin's roll (two slices concatenated) and unpadding", async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [1, 4, 3] }], (g, x) => {
      const a = g.op('Slice', [x.x!, g.constInt([3]), g.constInt([4]), g.constInt([1])]);
      const b = g.op('Slice', [x.x!, g.constInt([0]), g.constInt([3]), g.constInt([1])]);
      return g.op('Concat', [a, b], { axis: 1 });
    });
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('constant Pad, with and without the axes input', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 3, 2] }], (g, x) =>
      g.op('Add', [g.op('Pad', [x.x!, g.constInt([0, 1, 0, 0, 2, 0])]), g.op('Pad', [x.x!, g.constInt([1, 2]), '', g.constInt([1])])]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
