/**
 * Gradient of Resize (BEiT's relative position bias table, ViT/BEiT position
 * embedding interpolation) with respect to its input: Resize with fixed sizes
 * is linear and separable, Y = R_h · X · R_wᵀ over the last two axes, so
 * dX = R_hᵀ · dY · R_w, with the matrices built when the graph is built
 * (resize-matrix.ts). It needs the input and output sizes to be known then
 * (training graphs have a fixed image size); only the last two axes may be
 * resized, without antialiasing.
 */
import { VedError } from '../../errors.js';
import type { GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';
import { resizeMatrix, type CoordinateMode } from './resize-matrix.js';

const resizeGradient: GradientRule = (ctx, [dy]) => {
  const { g, node } = ctx;
  const fail = (why: string): never => {
    throw new VedError('INVALID_INPUT', `Cannot differentiate Resize "${node.outputs[0]}": ${why}.`);
  };
  const x = node.inputs[0]!;
  const inDims = ctx.info(x).dims;
  const outDims = ctx.info(node.outputs[0]!).dims;
  if (inDims === undefined || outDims === undefined || inDims.length !== outDims.length) fail('its input and output shapes are not known when the graph is built');
  const mode = String(node.attrs.mode ?? 'nearest');
  if (mode !== 'linear' && mode !== 'cubic') fail(`mode "${mode}" is not differentiated (linear and cubic are)`);
  if (intAttr(node, 'antialias', 0) !== 0 || node.attrs.axes !== undefined) fail('antialias and axes are not differentiated');
  const a = node.attrs.cubic_coeff_a;
  const axisSpec = {
    mode: mode as 'linear' | 'cubic',
    coordinateMode: String(node.attrs.coordinate_transformation_mode ?? 'half_pixel') as CoordinateMode,
    cubicCoeffA: typeof a === 'object' && a !== null && 'float' in a ? a.float : -0.75,
    excludeOutside: intAttr(node, 'exclude_outside', 0) === 1,
  };
  const rank = inDims!.length;
  let grad = dy!;
  for (let axis = 0; axis < rank; axis++) {
    const inSize = inDims![axis]!;
    const outSize = outDims![axis]!;
    if (inSize === outSize && axis < rank - 2) continue;
    if (typeof inSize !== 'number' || typeof outSize !== 'number') fail(`the size of axis ${axis} is not known when the graph is built`);
    if (axis < rank - 2) fail(`only the last two axes may be resized (axis ${axis} is)`);
    const r = resizeMatrix(inSize as number, outSize as number, axisSpec);
    const type = ctx.info(x).type === 'float64' ? 'float64' : 'float32';
    if (axis === rank - 1) {
      // dY [.., out] · R [out, in].
      grad = g.op('MatMul', [grad, g.constFloat([...r], [outSize as number, inSize as number], type)]);
    } else {
      // Rᵀ [in, out] · dY [.., out, W].
      const rt = new Float64Array(r.length);
      for (let i = 0; i < (outSize as number); i++) for (let j = 0; j < (inSize as number); j++) rt[j * (outSize as number) + i] = r[i * (inSize as number) + j]!;
      grad = g.op('MatMul', [g.constFloat([...rt], [inSize as number, outSize as number], type), grad]);
    }
  }
  return [grad];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const resizeGradients: Record<string, GradientRule> = {
  Resize: resizeGradient,
};
