/**
 * Gradients of Softmax and LogSoftmax along one axis:
 * softmax: dx = y (dy - Σ dy·y); log_softmax: dx = dy - exp(y) Σ dy.
 */
import type { GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';

const softmaxGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const y = ctx.node.outputs[0]!;
  const axis = g.constInt([intAttr(ctx.node, 'axis', -1)]);
  const dot = g.op('ReduceSum', [g.op('Mul', [dy!, y]), axis], { keepdims: 1 });
  return [g.op('Mul', [y, g.op('Sub', [dy!, dot])])];
};

const logSoftmaxGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const y = ctx.node.outputs[0]!;
  const axis = g.constInt([intAttr(ctx.node, 'axis', -1)]);
  const sum = g.op('ReduceSum', [dy!, axis], { keepdims: 1 });
  return [g.op('Sub', [dy!, g.op('Mul', [g.op('Exp', [y]), sum])])];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const softmaxGradients: Record<string, GradientRule> = {
  Softmax: softmaxGradient,
  LogSoftmax: logSoftmaxGradient,
};
