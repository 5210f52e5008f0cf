/**
 * The linear map of onnxruntime's Resize along one axis, as an [out, in]
 * matrix, for the modes ved's graphs use (linear and cubic interpolation, no
 * antialiasing): row j holds the weights output j takes from each input. It
 * follows onnxruntime's CPU kernel (`upsamplebase.h`, `upsample.cc`): the
 * source coordinate is computed in float32 from the float32 scale out/in;
 * linear clamps it to [0, in-1], cubic clamps the four taps' indices to the
 * edge (or drops taps outside and renormalises with `exclude_outside`).
 * Resize's gradient is the transposed map; resize.test.ts checks the matrix
 * against onnxruntime's own Resize.
 */
import { VedError } from '../../errors.js';

export type CoordinateMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric';

export interface ResizeAxis {
  mode: 'linear' | 'cubic';
  coordinateMode: CoordinateMode;
  cubicCoeffA: number;
  excludeOutside: boolean;
}

const f32 = Math.fround;

function sourceCoordinate(j: number, inSize: number, outSize: number, mode: CoordinateMode): number {
  const scale = f32(outSize / inSize);
  switch (mode) {
    case 'half_pixel':
      return f32(f32(f32(j + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel':
      return outSize > 1 ? f32(f32(f32(j + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return outSize === 1 ? 0 : f32(f32(j * (inSize - 1)) / (outSize - 1));
    case 'asymmetric':
      return f32(j / scale);
    default:
      throw new VedError('INVALID_INPUT', `Resize coordinate_transformation_mode "${String(mode)}" is not differentiated.`);
  }
}

function cubicCoefficients(t: number, a: number): number[] {
  const w = (x: number) => {
    const ax = Math.abs(x);
    if (ax <= 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
    if (ax < 2) return ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a;
    return 0;
  };
  return [w(t + 1), w(t), w(1 - t), w(2 - t)];
}

/** The [outSize, inSize] matrix of the resize along one axis (row-major). */
export function resizeMatrix(inSize: number, outSize: number, axis: ResizeAxis): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let j = 0; j < outSize; j++) {
    const row = j * inSize;
    let x = sourceCoordinate(j, inSize, outSize, axis.coordinateMode);
    if (axis.mode === 'linear') {
      x = Math.max(0, Math.min(x, inSize - 1));
      const x1 = Math.min(Math.floor(x), inSize - 1);
      const x2 = Math.min(x1 + 1, inSize - 1);
      if (x1 === x2) {
        m[row + x1]! += 1;
      } else {
        m[row + x1]! += f32(x2 - x);
        m[row + x2]! += f32(x - x1);
      }
      continue;
    }
    const base = Math.floor(x);
    const coeffs = cubicCoefficients(x - base, axis.cubicCoeffA);
    let total = 0;
    const taps: Array<[number, number]> = [];
    for (let k = 0; k < 4; k++) {
      const idx = base - 1 + k;
      if (axis.excludeOutside && (idx < 0 || idx >= inSize)) continue;
      taps.push([Math.min(Math.max(idx, 0), inSize - 1), coeffs[k]!]);
      total += coeffs[k]!;
    }
    for (const [idx, c] of taps) m[row + idx]! += axis.excludeOutside ? c / total : c;
  }
  return m;
}
