import { describe, expect, it } from 'vitest';
import { checkGradients } from '../testing/gradient-check.js';
import { ACTIVATIONS, activation } from '../../nn/layers.js';

describe('activation gradients', () => {
  for (const op of ['Relu', 'Sigmoid', 'Tanh']) {
    it(`${op} matches finite differences`, async () => {
      // Relu: values kept away from the kink at 0.
      const values = op === 'Relu' ? [-1.5, -0.7, -0.2, 0.3, 0.9, 1.7, -2.1, 2.4] : undefined;
      const { worst } = await checkGradients([{ name: 'x', dims: [2, 4], ...(values ? { values } : {}) }], (g, x) => g.op(op, [x.x!]));
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  // onnxruntime's com.microsoft Gelu/FastGelu have float32 kernels only.
  for (const op of ['Gelu', 'FastGelu']) {
    it(`com.microsoft ${op} (float32) matches finite differences`, async () => {
      const { worst } = await checkGradients([{ name: 'x', dims: [3, 7] }], (g, x) => g.op(op, [x.x!], {}, { domain: 'com.microsoft' }), { type: 'float32' });
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('quick_gelu and SiLU need no rule of their own (Mul and Sigmoid)', async () => {
    const { worst } = await checkGradients([{ name: 'x', dims: [2, 3] }], (g, x) =>
      g.op('Add', [
        g.op('Mul', [x.x!, g.op('Sigmoid', [g.op('Mul', [x.x!, g.constFloat(1.702)])])]),
        g.op('Mul', [x.x!, g.op('Sigmoid', [x.x!])]),
      ]),
      // float32: onnxruntime fuses these into its float32-only QuickGelu.
      { type: 'float32' },
    );
    expect(worst).toBeLessThanOrEqual(1);
  });
});

describe('gradients of the other activations', () => {
  // Values away from the kinks (0 for LeakyRelu, ±3 for HardSwish).
  const values = [-4.1, -2.6, -1.2, -0.3, 0.4, 1.1, 2.7, 3.8];
  it('LeakyRelu (alpha 0.01 and another), HardSwish and Softplus match finite differences', async () => {
    for (const build of [
      (g: Parameters<Parameters<typeof checkGradients>[1]>[0], x: string) => g.op('LeakyRelu', [x], { alpha: { float: 0.01 } }),
      (g: Parameters<Parameters<typeof checkGradients>[1]>[0], x: string) => g.op('LeakyRelu', [x], { alpha: { float: 0.3 } }),
      (g: Parameters<Parameters<typeof checkGradients>[1]>[0], x: string) => g.op('HardSwish', [x]),
      (g: Parameters<Parameters<typeof checkGradients>[1]>[0], x: string) => g.op('Softplus', [x]),
    ]) {
      const { worst } = await checkGradients([{ name: 'x', dims: [2, 4], values }], (g, x) => build(g, x.x!), { type: 'float32' });
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it("every activation of ACTIVATIONS has a gradient, checked by finite differences", async () => {
    for (const name of ACTIVATIONS) {
      // Away from every activation's kinks and clip bounds (0, ±3, 6, ±10 after GELU).
      const { worst } = await checkGradients([{ name: 'x', dims: [2, 4], values }], (g, x) => activation(g, x.x!, name), { type: 'float32' });
      expect(worst, name).toBeLessThanOrEqual(1);
    }
  });
});
