/** Gradient of CumSum: the cumulative sum of the gradient in the other direction. */
import type { GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';

const cumSumGradient: GradientRule = (ctx, [dy]) => {
  const { node } = ctx;
  const reverse = intAttr(node, 'reverse', 0) === 1 ? 0 : 1;
  return [ctx.g.op('CumSum', [dy!, node.inputs[1]!], { exclusive: intAttr(node, 'exclusive', 0), reverse }), undefined];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const cumsumGradients: Record<string, GradientRule> = {
  CumSum: cumSumGradient,
};
