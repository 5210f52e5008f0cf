import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../onnx/graph-builder.js';
import { SeededRandom } from '../../random/seeded-random.js';
import { checkGradients } from '../testing/gradient-check.js';
import { resizeMatrix, type ResizeAxis } from './resize-matrix.js';

const LINEAR: ResizeAxis = { mode: 'linear', coordinateMode: 'half_pixel', cubicCoeffA: -0.75, excludeOutside: false };
const CUBIC: ResizeAxis = { mode: 'cubic', coordinateMode: 'half_pixel', cubicCoeffA: -0.75, excludeOutside: false };

async function ortResize(x: Float32Array, dims: number[], sizes: number[], attrs: Record<string, number | string | { float: number }>): Promise<Float32Array> {
  const g = new GraphBuilder('resize');
  const input = g.input('x', 'float32', dims);
  g.output('y', g.op('Resize', [input, '', '', g.constInt(sizes)], attrs), 'float32', sizes);
  const s = await ort.InferenceSession.create(g.build().model);
  const out = await s.run({ x: new ort.Tensor('float32', x, dims) });
  return out.y!.data as Float32Array;
}

describe('Resize gradient', () => {
  const cases: Array<[string, ResizeAxis, Record<string, number | string | { float: number }>]> = [
    ['linear', LINEAR, { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }],
    ['cubic', CUBIC, { mode: 'cubic', cubic_coeff_a: { float: -0.75 }, coordinate_transformation_mode: 'half_pixel', exclude_outside: 0 }],
  ];
  for (const [name, axis, attrs] of cases) {
    it(`${name}: the matrices reproduce onnxruntime's Resize (up and down, unchanged size)`, async () => {
      const rng = new SeededRandom(3);
      for (const [h, w, oh, ow] of [
        [3, 5, 7, 4],
        [6, 4, 6, 4],
        [5, 5, 3, 9],
      ] as const) {
        const x = Float32Array.from({ length: 2 * h * w }, () => rng.normal());
        const got = await ortResize(x, [1, 2, h, w], [1, 2, oh, ow], attrs);
        const rh = resizeMatrix(h, oh, axis);
        const rw = resizeMatrix(w, ow, axis);
        for (let c = 0; c < 2; c++) {
          for (let i = 0; i < oh; i++) {
            for (let j = 0; j < ow; j++) {
              let want = 0;
              for (let a = 0; a < h; a++) for (let b = 0; b < w; b++) want += rh[i * h + a]! * rw[j * w + b]! * x[c * h * w + a * w + b]!;
              expect(Math.abs(got[c * oh * ow + i * ow + j]! - want)).toBeLessThan(1e-5);
            }
          }
        }
      }
    });

    it(`${name}: gradient matches finite differences`, async () => {
      const { worst } = await checkGradients([{ name: 'x', dims: [1, 2, 3, 5] }], (g, x) => g.op('Resize', [x.x!, '', '', g.constInt([1, 2, 5, 4])], attrs), {
        type: 'float32',
      });
      expect(worst).toBeLessThanOrEqual(1);
    });
  }
});
