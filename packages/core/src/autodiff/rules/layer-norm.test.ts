import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('LayerNormalization gradient', () => {
  for (const stats of [true, false]) {
    it(`over the last axis, ${stats ? 'with the Mean/InvStdDev outputs' : 'recomputing the statistics'}`, async () => {
      const { worst } = await checkGradients(
        [
          { name: 'x', dims: [2, 3, 5] },
          { name: 'scale', dims: [5] },
          { name: 'bias', dims: [5] },
        ],
        (g, x) => g.opMulti('LayerNormalization', [x.x!, x.scale!, x.bias!], { axis: -1, epsilon: { float: 1e-5 } }, { outputs: stats ? 3 : 1 })[0]!,
        { type: 'float32' },
      );
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('over the last two axes, without a bias', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'x', dims: [2, 3, 4] },
        { name: 'scale', dims: [3, 4] },
      ],
      (g, x) => g.op('LayerNormalization', [x.x!, x.scale!], { axis: 1, epsilon: { float: 1e-5 } }),
      { type: 'float32' },
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
