import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('Concat and Split gradients', () => {
  it('Concat of static and symbolic pieces (CLS token in front of patches)', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'cls', dims: [1, 1, 3] },
        { name: 'patches', dims: [2, 4, 3], declared: ['batch', 'n', 3] },
      ],
      (g, x) => {
        const batch = g.op('Shape', [x.patches!], { start: 0, end: 1 });
        const cls = g.op('Expand', [x.cls!, g.op('Concat', [batch, g.constInt([1, 3])], { axis: 0 })]);
        return g.op('Concat', [cls, x.patches!], { axis: 1 });
      },
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('Concat with a constant piece, negative axis', async () => {
    const { worst } = await checkGradients([{ name: 'a', dims: [2, 3] }], (g, x) => g.op('Concat', [g.constFloat([1, 2], [2, 1], 'float64'), x.a!, x.a!], { axis: -1 }));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("Split (GPT-2's q|k|v), an unused output gets zeros", async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 9] }], (g, x) => {
      const [q, , v] = g.opMulti('Split', [x.x!, g.constInt([3, 3, 3])], { axis: -1 }, { outputs: 3 });
      return g.op('Mul', [q!, v!]);
    });
    expect(worst).toBeLessThanOrEqual(1);
  });
});
