/**
 * Gradients of the activations ved's graphs use (`nn/layers.ts`,
 * `activation()`): Relu, Sigmoid, Tanh, and onnxruntime's `com.microsoft`
 * Gelu (erf form) and FastGelu (tanh form), whose forward kernels exist in
 * onnxruntime-node and -web; their gradients are written in standard ops.
 * LeakyRelu, HardSwish and Softplus follow torch's backward kernels
 * (`leaky_relu_backward`, `hardswish_backward`, `softplus_backward`).
 * quick_gelu and SiLU are built from Mul and Sigmoid, the other activations
 * of `activation()` from ops with rules of their own, and need no rule.
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

// torch's leaky_relu_backward: x > 0 ? dy : dy * negative_slope.
const leakyReluGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const x = ctx.node.inputs[0]!;
  const alpha = ctx.node.attrs.alpha;
  const slope = typeof alpha === 'object' && 'float' in alpha ? alpha.float : 0.01; // ONNX's default alpha is also 0.01
  return [g.op('Mul', [dy!, g.op('Where', [g.op('Greater', [x, ctx.scalar(0, x)]), ctx.scalar(1, x), ctx.scalar(slope, x)])])];
};

// torch's hardswish_backward: 0 up to -3 (inclusive), x/3 + 1/2 below 3, 1 from 3 on.
const hardSwishGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const x = ctx.node.inputs[0]!;
  const middle = g.op('Add', [g.op('Div', [x, ctx.scalar(3, x)]), ctx.scalar(0.5, x)]);
  const upper = g.op('Where', [g.op('Less', [x, ctx.scalar(3, x)]), middle, ctx.scalar(1, x)]);
  return [g.op('Mul', [dy!, g.op('Where', [g.op('LessOrEqual', [x, ctx.scalar(-3, x)]), ctx.scalar(0, x), upper])])];
};

// torch's softplus_backward (beta 1, threshold 20): x > 20 ? dy : dy e^x / (e^x + 1). Not onnxruntime's
// Sigmoid, whose float32 kernel loses the relative precision of tiny values (x < -15), which
// sqrt(softplus(x)) divides by its own tiny output.
const softplusGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const x = ctx.node.inputs[0]!;
  const e = g.op('Exp', [x]);
  const slope = g.op('Div', [e, g.op('Add', [e, ctx.scalar(1, x)])]);
  return [g.op('Mul', [dy!, g.op('Where', [g.op('Greater', [x, ctx.scalar(20, x)]), ctx.scalar(1, x), slope])])];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const activationsGradients: Record<string, GradientRule> = {
  Relu: reluGradient,
  Sigmoid: sigmoidGradient,
  Tanh: tanhGradient,
  LeakyRelu: leakyReluGradient,
  HardSwish: hardSwishGradient,
  Softplus: softplusGradient,
  'com.microsoft:Gelu': geluGradient,
  'com.microsoft:FastGelu': fastGeluGradient,
};
