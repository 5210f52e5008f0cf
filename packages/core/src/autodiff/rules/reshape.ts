/**
 * Gradients of the ops that only change how values are laid out in a shape:
 * Reshape (and Flatten) reshape the gradient back, Squeeze and Unsqueeze
 * undo each other, Transpose applies the inverse permutation.
 */
import type { GradientContext, GradientRule } from '../gradient-rule.js';
import { intsAttr } from '../shape-inference.js';

/** A Reshape target for `x`'s shape: a constant when at most one dimension is symbolic (it becomes -1), else `Shape(x)`. */
export function reshapeTarget(ctx: GradientContext, x: string): string {
  const dims = ctx.info(x).dims;
  if (dims !== undefined && dims.filter((d) => typeof d !== 'number').length <= 1) {
    return ctx.g.constInt(dims.map((d) => (typeof d === 'number' ? d : -1)));
  }
  return ctx.g.op('Shape', [x]);
}

const reshapeGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Reshape', [dy!, reshapeTarget(ctx, ctx.node.inputs[0]!)]), undefined];

const flattenGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Reshape', [dy!, reshapeTarget(ctx, ctx.node.inputs[0]!)])];

const unsqueezeGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Squeeze', [dy!, ctx.node.inputs[1]!]), undefined];

const squeezeGradient: GradientRule = (ctx, [dy]) => {
  const [x, axes] = ctx.node.inputs;
  if (axes !== undefined && axes !== '') return [ctx.g.op('Unsqueeze', [dy!, axes]), undefined];
  return [ctx.g.op('Reshape', [dy!, reshapeTarget(ctx, x!)])];
};

const transposeGradient: GradientRule = (ctx, [dy]) => {
  const x = ctx.node.inputs[0]!;
  const rank = ctx.info(x).dims?.length;
  const perm = intsAttr(ctx.node, 'perm') ?? (rank === undefined ? undefined : Array.from({ length: rank }, (_, i) => rank - 1 - i));
  if (perm === undefined) return [ctx.g.op('Transpose', [dy!])];
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.g.op('Transpose', [dy!], { perm: inverse })];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const reshapeGradients: Record<string, GradientRule> = {
  Reshape: reshapeGradient,
  Flatten: flattenGradient,
  Unsqueeze: unsqueezeGradient,
  Squeeze: squeezeGradient,
  Transpose: transposeGradient,
};
