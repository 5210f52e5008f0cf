/**
 * Gradient of `LayerNormalization` (normalising over the axes from `axis` to
 * the last), with x̂ = (x - mean)·invstd:
 *   dβ = Σ dy, dγ = Σ dy·x̂ (over the leading axes),
 *   dx = invstd · (g - mean(g) - x̂·mean(g·x̂)) with g = dy·γ.
 * Mean and InvStdDev come from the node's optional outputs when it has them
 * (ved's training graphs ask for them), else they are recomputed.
 */
import { VedError } from '../../errors.js';
import type { GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';

const layerNormalizationGradient: GradientRule = (ctx, outputGrads) => {
  const { g, node } = ctx;
  const dy = outputGrads[0];
  if (dy === undefined || outputGrads.slice(1).some((d) => d !== undefined)) {
    throw new VedError('INVALID_INPUT', `LayerNormalization "${node.outputs[0]}": gradients flow only through its first output (Y).`);
  }
  const [x, scale, bias] = node.inputs as [string, string, string | undefined];
  const dims = ctx.info(x).dims;
  if (dims === undefined) throw new VedError('INVALID_INPUT', `LayerNormalization "${node.outputs[0]}": the rank of its input is unknown.`);
  const rank = dims.length;
  const axis0 = intAttr(node, 'axis', -1);
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  const normAxes = g.constInt(Array.from({ length: rank - axis }, (_, i) => axis + i));
  const leading = Array.from({ length: axis }, (_, i) => i);
  let mean = node.outputs[1];
  let invStd = node.outputs[2];
  if (mean === undefined || mean === '' || invStd === undefined || invStd === '') {
    const eps = node.attrs.epsilon;
    const epsilon = typeof eps === 'object' && eps !== null && 'float' in eps ? eps.float : 1e-5;
    mean = g.op('ReduceMean', [x, normAxes], { keepdims: 1 });
    const centered = g.op('Sub', [x, mean]);
    const variance = g.op('ReduceMean', [g.op('Mul', [centered, centered]), normAxes], { keepdims: 1 });
    invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, ctx.scalar(epsilon, x)])])]);
  }
  const xhat = g.op('Mul', [g.op('Sub', [x, mean]), invStd]);
  const sumLeading = (t: string) => (leading.length === 0 ? t : g.op('ReduceSum', [t, g.constInt(leading)], { keepdims: 0 }));
  let dx: string | undefined;
  if (ctx.needs(0)) {
    const gy = g.op('Mul', [dy, scale]);
    const meanG = g.op('ReduceMean', [gy, normAxes], { keepdims: 1 });
    const meanGX = g.op('ReduceMean', [g.op('Mul', [gy, xhat]), normAxes], { keepdims: 1 });
    dx = g.op('Mul', [g.op('Sub', [g.op('Sub', [gy, meanG]), g.op('Mul', [xhat, meanGX])]), invStd]);
  }
  const dScale = ctx.needs(1) ? sumLeading(g.op('Mul', [dy, xhat])) : undefined;
  const dBias = bias !== undefined && ctx.needs(2) ? sumLeading(dy) : undefined;
  return [dx, dScale, dBias];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const layerNormGradients: Record<string, GradientRule> = {
  LayerNormalization: layerNormalizationGradient,
};
