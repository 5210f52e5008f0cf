import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('Gather gradient', () => {
  it('embedding lookup with repeated ids sums the rows', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'table', dims: [6, 3] },
        { name: 'ids', dims: [2, 3], int64: [1, 4, 1, 0, 1, 5] },
      ],
      (g, x) => g.op('Gather', [x.table!, x.ids!], { axis: 0 }),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("a scalar index (BERT's token type row 0)", async () => {
    const { worst } = await checkGradients([{ name: 'table', dims: [2, 4] }], (g, x) => g.op('Gather', [x.table!, g.constInt(0, [])], { axis: 0 }));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('a relative position bias table indexed by [T, T]', async () => {
    const { worst } = await checkGradients([{ name: 'table', dims: [5, 2] }], (g, x) =>
      g.op('Transpose', [g.op('Gather', [x.table!, g.constInt([2, 1, 0, 3, 2, 1, 4, 3, 2], [3, 3])], { axis: 0 })], { perm: [2, 0, 1] }),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('along axis 1 with 2-D indices', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 4, 3] }], (g, x) => g.op('Gather', [x.x!, g.constInt([3, 0, 3, 1], [2, 2])], { axis: 1 }));
    expect(worst).toBeLessThanOrEqual(1);
  });
});
