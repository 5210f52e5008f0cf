/** clipGradNorm against torch.nn.utils.clip_grad_norm_ (fixtures/optim/clipping.*). */
import { describe, expect, it } from 'vitest';
import { clipGradNorm, totalGradNorm } from './clip-grad-norm.js';
import { maxRelDiff, readFixtureJson, readFixtureTensors } from '../test-utils/fixtures.js';

const meta = readFixtureJson<{ shapes: Record<string, number[]>; cases: { max_norm: number; total_norm: number }[] }>('clipping.json');
const tensors = readFixtureTensors('clipping.safetensors');
const names = Object.keys(meta.shapes);

describe('clipGradNorm vs torch', () => {
  for (const c of meta.cases) {
    it(`max_norm ${c.max_norm}: total norm and clipped gradients`, () => {
      const grads = names.map((n) => Float32Array.from(tensors.getFloat32(`grad.${n}`)));
      const total = clipGradNorm(grads, c.max_norm);
      expect(Math.abs(total - c.total_norm) / c.total_norm).toBeLessThan(1e-6);
      names.forEach((n, i) => {
        const key = `clipped.${c.max_norm % 1 === 0 ? c.max_norm.toFixed(1) : c.max_norm}.${n}`;
        expect(maxRelDiff(grads[i]!, tensors.getFloat32(key), 1e-6), key).toBeLessThan(1e-6);
      });
    });
  }

  it('leaves gradients alone below the limit and on a non-finite norm', () => {
    const g = Float32Array.of(3, 4);
    expect(clipGradNorm([g], 10)).toBe(5);
    expect([...g]).toEqual([3, 4]);
    const bad = Float32Array.of(Number.NaN, 1);
    expect(clipGradNorm([bad], 1)).toBeNaN();
    expect(bad[1]).toBe(1);
    expect(totalGradNorm([Float32Array.of(Infinity)])).toBe(Infinity);
  });

  it('rejects a non-positive max norm', () => {
    expect(() => clipGradNorm([new Float32Array(1)], 0)).toThrow(/maxGradNorm must be a finite number > 0/);
  });
});
