/** Gradient of Expand: the broadcast copies are summed back to the input's shape. */
import type { GradientRule } from '../gradient-rule.js';

const expandGradient: GradientRule = (ctx, [dy]) => [ctx.unbroadcast(dy!, ctx.node.inputs[0]!, ctx.node.outputs[0]!), undefined];

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const expandGradients: Record<string, GradientRule> = {
  Expand: expandGradient,
};
