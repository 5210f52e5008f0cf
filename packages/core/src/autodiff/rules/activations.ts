/**
 * Gradients of the activations ved's graphs use (`nn/layers.ts`,
 * `activation()`): Relu, Sigmoid, Tanh, and onnxruntime's `com.microsoft`
 * Gelu (erf form) and FastGelu (tanh form), whose forward kernels exist in
 * onnxruntime-node and -web; their gradients are written in standard ops.
 * quick_gelu and SiLU are built from Mul and Sigmoid and need no rule.
 */
import type { GradientRule } from '../gradient-rule.js';

// torch's threshold_backward: the gradient passes where the output is positive.
const reluGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const y = ctx.node.outputs[0]!;
  return [g.op('Where', [g.op('Greater', [y, ctx.scalar(0, y)]), dy!, ctx.scalar(0, y)])];
};

// σ' = y (1 - y).
const sigmoidGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const y = ctx.node.outputs[0]!;
  return [g.op('Mul', [dy!, g.op('Mul', [y, g.op('Sub', [ctx.scalar(1, y), y])])])];
};

// tanh' = 1 - y².
const tanhGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const y = ctx.node.outputs[0]!;
  return [g.op('Mul', [dy!, g.op('Sub', [ctx.scalar(1, y), g.op('Mul', [y, y])])])];
};

/** gelu(x) = x Φ(x): gelu' = Φ(x) + x φ(x), Φ(x) = (1 + erf(x/√2))/2, φ(x) = exp(-x²/2)/√(2π). */
const geluGradient: GradientRule = (ctx, [dy]) => {
    const { g } = ctx;
    const x = ctx.node.inputs[0]!;
    const cdf = g.op('Mul', [g.op('Add', [g.op('Erf', [g.op('Mul', [x, ctx.scalar(Math.SQRT1_2, x)])]), ctx.scalar(1, x)]), ctx.scalar(0.5, x)]);
    const pdf = g.op('Mul', [g.op('Exp', [g.op('Mul', [g.op('Mul', [x, x]), ctx.scalar(-0.5, x)])]), ctx.scalar(1 / Math.sqrt(2 * Math.PI), x)]);
    return [g.op('Mul', [dy!, g.op('Add', [cdf, g.op('Mul', [x, pdf])])])];
  };

/**
 * FastGelu: y = x (1 + t)/2 with t = tanh(k (x + c x³)), k = √(2/π), c = 0.044715:
 * y' = (1 + t)/2 + x (1 - t²) k (1 + 3c x²)/2. (Only the form without the optional bias input.)
 */
const fastGeluGradient: GradientRule = (ctx, [dy]) => {
    const { g } = ctx;
    const x = ctx.node.inputs[0]!;
    const k = Math.sqrt(2 / Math.PI);
    const c = 0.044715;
    const x2 = g.op('Mul', [x, x]);
    const inner = g.op('Mul', [x, g.op('Add', [g.op('Mul', [x2, ctx.scalar(c * k, x)]), ctx.scalar(k, x)])]);
    const t = g.op('Tanh', [inner]);
    const half = ctx.scalar(0.5, x);
    const left = g.op('Mul', [g.op('Add', [t, ctx.scalar(1, x)]), half]);
    const dInner = g.op('Add', [g.op('Mul', [x2, ctx.scalar(3 * c * k, x)]), ctx.scalar(k, x)]);
    const sech2 = g.op('Sub', [ctx.scalar(1, x), g.op('Mul', [t, t])]);
    const right = g.op('Mul', [g.op('Mul', [x, half]), g.op('Mul', [sech2, dInner])]);
    return [g.op('Mul', [dy!, g.op('Add', [left, right])]), undefined];
  };

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const activationsGradients: Record<string, GradientRule> = {
  Relu: reluGradient,
  Sigmoid: sigmoidGradient,
  Tanh: tanhGradient,
  'com.microsoft:Gelu': geluGradient,
  'com.microsoft:FastGelu': fastGeluGradient,
};
