import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';

describe('MatMul and Gemm gradients', () => {
  it('batched MatMul [B, h, T, d] · [B, h, d, S]', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'a', dims: [2, 2, 3, 4] },
        { name: 'b', dims: [2, 2, 4, 5] },
      ],
      (g, x) => g.op('MatMul', [x.a!, x.b!]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('MatMul broadcasting batch axes ([2, 1, 3, 4] · [3, 4, 2]) sums the broadcast gradient', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'a', dims: [2, 1, 3, 4] },
        { name: 'b', dims: [3, 4, 2] },
      ],
      (g, x) => g.op('MatMul', [x.a!, x.b!]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("x [B, T, K] · W [K, N] (GPT-2's Conv1D) with a symbolic batch", async () => {
    const { worst, gradientNodes } = await checkGradients(
      [
        { name: 'x', dims: [2, 3, 4], declared: ['batch', 'seq', 4] },
        { name: 'w', dims: [4, 5] },
      ],
      (g, x) => g.op('MatMul', [x.x!, x.w!]),
    );
    expect(worst).toBeLessThanOrEqual(1);
    // dx: Transpose + MatMul; dW: two Reshapes + one Gemm.
    expect(gradientNodes).toBe(5);
  });

  it('2-D MatMul', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'a', dims: [3, 4] },
        { name: 'b', dims: [4, 2] },
      ],
      (g, x) => g.op('MatMul', [x.a!, x.b!]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });

  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      it(`Gemm transA=${transA} transB=${transB}, alpha, beta, a broadcast C`, async () => {
        const { worst } = await checkGradients(
          [
            { name: 'a', dims: transA ? [4, 3] : [3, 4] },
            { name: 'b', dims: transB ? [5, 4] : [4, 5] },
            { name: 'c', dims: [5] },
          ],
          (g, x) => g.op('Gemm', [x.a!, x.b!, x.c!], { transA, transB, alpha: { float: 0.5 }, beta: { float: 2 } }),
        );
        expect(worst).toBeLessThanOrEqual(1);
      });
    }
  }

  it('Gemm with C [M, 1] and without C', async () => {
    const { worst } = await checkGradients(
      [
        { name: 'a', dims: [3, 4] },
        { name: 'b', dims: [5, 4] },
        { name: 'c', dims: [3, 1] },
      ],
      (g, x) => g.op('Add', [g.op('Gemm', [x.a!, x.b!, x.c!], { transB: 1 }), g.op('Gemm', [x.a!, x.b!], { transB: 1 })]),
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
