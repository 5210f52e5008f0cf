import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('SoftmaxCrossEntropyLoss gradient', () => {
  for (const reduction of ['mean', 'sum']) {
    it(`reduction ${reduction}, ignore_index -100 rows get nothing`, async () => {
      const { worst, analytic } = await checkGradients(
        [
          { name: 'scores', dims: [4, 5] },
          { name: 'labels', dims: [4], int64: [2, -100, 0, 4] },
        ],
        (g, x) => g.opMulti('SoftmaxCrossEntropyLoss', [x.scores!, x.labels!], { reduction, ignore_index: -100 }, { outputs: 2 })[0]!,
        { type: 'float32' },
      );
      expect(worst).toBeLessThanOrEqual(1);
      expect([...analytic.get('scores')!.subarray(5, 10)].map(Math.abs)).toEqual([0, 0, 0, 0, 0]);
    });
  }

  it('without ignore_index, without the log_prob output', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'scores', dims: [3, 4] },
        { name: 'labels', dims: [3], int64: [3, 0, 1] },
      ],
      (g, x) => g.op('SoftmaxCrossEntropyLoss', [x.scores!, x.labels!], { reduction: 'mean' }),
      { type: 'float32' },
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
