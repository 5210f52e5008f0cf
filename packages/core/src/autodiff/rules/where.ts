/** Gradient of `Where(condition, x, y)`: each branch receives the gradient where it was chosen. */
import type { GradientRule } from '../gradient-rule.js';

const whereGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const [cond, x, y] = ctx.node.inputs as [string, string, string];
  const out = ctx.node.outputs[0]!;
  const zero = ctx.scalar(0, out);
  return [
    undefined,
    ctx.needs(1) ? ctx.unbroadcast(g.op('Where', [cond, dy!, zero]), x, out) : undefined,
    ctx.needs(2) ? ctx.unbroadcast(g.op('Where', [cond, zero, dy!]), y, out) : undefined,
  ];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const whereGradients: Record<string, GradientRule> = {
  Where: whereGradient,
};
