import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

// onnxruntime's CPU Conv and ConvTranspose are float32 only.
describe('Conv gradient', () => {
  it('patch embedding: stride = kernel, with bias, image size not a multiple of the patch', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'pixels', dims: [2, 3, 9, 8], wrt: false },
        { name: 'w', dims: [4, 3, 4, 4] },
        { name: 'b', dims: [4] },
      ],
      (g, x) => g.op('Conv', [x.pixels!, x.w!, x.b!], { kernel_shape: [4, 4], strides: [4, 4] }),
      { type: 'float32' },
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('overlapping windows with pads, strides and dilations, input included', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'x', dims: [1, 2, 7, 6] },
        { name: 'w', dims: [3, 2, 3, 2] },
      ],
      (g, x) => g.op('Conv', [x.x!, x.w!], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2] }),
      { type: 'float32' },
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
