import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('Where gradient', () => {
  it('Where: each branch gets the gradient where it was chosen, the condition none', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'x', dims: [2, 3] },
        { name: 'y', dims: [3] },
      ],
      (g, x) => g.op('Where', [g.op('Greater', [x.x!, g.constFloat(0, [], 'float64')]), x.x!, x.y!]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
