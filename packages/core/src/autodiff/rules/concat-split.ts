/**
 * Gradients of Concat and Split, each other's inverse: a Concat's gradient is
 * split back into the pieces' sizes along the axis (static when known, else
 * read from the pieces' shapes), a Split's gradient is the concatenation of
 * its outputs' gradients (zeros for outputs that received none).
 */
import type { GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';

const concatGradient: GradientRule = (ctx, [dy]) => {
  const { g, node } = ctx;
  const rank = ctx.info(node.outputs[0]!).dims?.length ?? ctx.info(node.inputs[0]!).dims?.length ?? 0;
  const axis0 = intAttr(node, 'axis', 0);
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  const sizes = node.inputs.map((x) => ctx.info(x).dims?.[axis]);
  const split = sizes.every((d) => typeof d === 'number')
    ? g.constInt(sizes as number[])
    : g.op(
        'Concat',
        node.inputs.map((x) => g.op('Shape', [x], { start: axis, end: axis + 1 })),
        { axis: 0 },
      );
  if (node.inputs.length === 1) return [dy];
  const parts = g.opMulti('Split', [dy!, split], { axis }, { outputs: node.inputs.length });
  return parts.map((p, i) => (ctx.needs(i) ? p : undefined));
};

const splitGradient: GradientRule = (ctx, grads) => {
  const { g, node } = ctx;
  const parts = node.outputs.map((y, i) => grads[i] ?? ctx.zerosLike(y));
  return [g.op('Concat', parts, { axis: intAttr(node, 'axis', 0) }), undefined];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const concatSplitGradients: Record<string, GradientRule> = {
  Concat: concatGradient,
  Split: splitGradient,
};
