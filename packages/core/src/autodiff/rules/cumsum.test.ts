import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('CumSum gradient', () => {
  for (const reverse of [0, 1]) {
    for (const exclusive of [0, 1]) {
      it(`reverse ${reverse}, exclusive ${exclusive}`, async () => {
        const { worst } = await checkGradients([{ name: 'x', dims: [2, 4] }], (g, x) => g.op('CumSum', [x.x!, g.constInt(1, [])], { reverse, exclusive }));
        expect(worst).toBeLessThanOrEqual(1);
      });
    }
  }
});
