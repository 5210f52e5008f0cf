/**
 * Gradients of ReduceSum and ReduceMean: the output gradient broadcast back
 * over the reduced axes (divided by their size for the mean).
 */
import { VedError } from '../../errors.js';
import type { GradientContext, GradientRule } from '../gradient-rule.js';
import { intAttr, intsAttr } from '../shape-inference.js';
import { product } from '../dims.js';

function reduceGradient(ctx: GradientContext, dy: string, mean: boolean): string {
  const { g, node } = ctx;
  const x = node.inputs[0]!;
  const dims = ctx.info(x).dims;
  const axesIn = node.inputs[1] ? ctx.info(node.inputs[1]).ints : intsAttr(node, 'axes');
  if (dims === undefined || (node.inputs[1] && axesIn === undefined) || axesIn?.some((a) => typeof a !== 'number')) {
    throw new VedError('INVALID_INPUT', `Cannot differentiate ${node.type} "${node.outputs[0]}": its axes or the input rank are not known when the graph is built.`);
  }
  const rank = dims.length;
  const empty = axesIn === undefined || axesIn.length === 0;
  if (empty && intAttr(node, 'noop_with_empty_axes', 0) === 1) return dy;
  const axes = empty ? dims.map((_, i) => i) : (axesIn as number[]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  let grad = intAttr(node, 'keepdims', 1) === 1 ? dy : g.op('Unsqueeze', [dy, g.constInt(axes)]);
  if (mean) {
    const count = product(axes.map((a) => dims[a]!));
    if (typeof count === 'number') {
      grad = g.op('Mul', [grad, ctx.scalar(1 / count, x)]);
    } else {
      const n = g.op('ReduceProd', [g.op('Gather', [g.op('Shape', [x]), g.constInt(axes)]), g.constInt([0])], { keepdims: 0 });
      grad = g.op('Div', [grad, g.op('CastLike', [n, x])]);
    }
  }
  return g.op('Expand', [grad, ctx.shapeOf(x)]);
}

const reduceSumGradient: GradientRule = (ctx, [dy]) => [reduceGradient(ctx, dy!, false), undefined];
const reduceMeanGradient: GradientRule = (ctx, [dy]) => [reduceGradient(ctx, dy!, true), undefined];

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const reduceGradients: Record<string, GradientRule> = {
  ReduceSum: reduceSumGradient,
  ReduceMean: reduceMeanGradient,
};
