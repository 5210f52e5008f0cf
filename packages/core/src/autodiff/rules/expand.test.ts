import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('Expand gradient', () => {
  it('sums over the expanded axes (leading and size-1)', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [3, 1] }], (g, x) => g.op('Expand', [x.x!, g.constInt([2, 3, 4])]));
    expect(worst).toBeLessThanOrEqual(1);
  });
});
