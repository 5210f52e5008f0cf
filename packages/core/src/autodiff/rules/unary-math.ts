/**
 * Gradients of the unary math ops: Sqrt, Exp, Log, Reciprocal, Pow, Erf,
 * Sin and Cos (y = f(x), dx = dy · f'(x), written with the forward output
 * where that saves work).
 */
import type { GradientRule } from '../gradient-rule.js';

// d sqrt(x) = 1 / (2 sqrt(x)).
const sqrtGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const y = ctx.node.outputs[0]!;
  return [g.op('Div', [g.op('Mul', [dy!, ctx.scalar(0.5, y)]), y])];
};

const expGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Mul', [dy!, ctx.node.outputs[0]!])];

const logGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Div', [dy!, ctx.node.inputs[0]!])];

// d(1/x) = -1/x² = -y².
const reciprocalGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const y = ctx.node.outputs[0]!;
  return [g.op('Neg', [g.op('Mul', [dy!, g.op('Mul', [y, y])])])];
};

// y = a^b: da = b·a^(b-1) = b·y/a where a ≠ 0, computed as b·a^(b-1) to stay finite at 0; db = y·ln(a).
const powGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const [a, b] = ctx.node.inputs as [string, string];
  const y = ctx.node.outputs[0]!;
  const da = ctx.needs(0)
    ? ctx.unbroadcast(g.op('Mul', [dy!, g.op('Mul', [b, g.op('Pow', [a, g.op('Sub', [b, ctx.scalar(1, b)])])])]), a, y)
    : undefined;
  const db = ctx.needs(1) ? ctx.unbroadcast(g.op('Mul', [dy!, g.op('Mul', [y, g.op('Log', [a])])]), b, y) : undefined;
  return [da, db];
};

// d erf(x) = 2/sqrt(pi) · exp(-x²).
const erfGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const x = ctx.node.inputs[0]!;
  const e = g.op('Exp', [g.op('Neg', [g.op('Mul', [x, x])])]);
  return [g.op('Mul', [dy!, g.op('Mul', [e, ctx.scalar(2 / Math.sqrt(Math.PI), x)])])];
};

const sinGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Mul', [dy!, ctx.g.op('Cos', [ctx.node.inputs[0]!])])];

const cosGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Neg', [ctx.g.op('Mul', [dy!, ctx.g.op('Sin', [ctx.node.inputs[0]!])])])];

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const unaryMathGradients: Record<string, GradientRule> = {
  Sqrt: sqrtGradient,
  Exp: expGradient,
  Log: logGradient,
  Reciprocal: reciprocalGradient,
  Pow: powGradient,
  Erf: erfGradient,
  Sin: sinGradient,
  Cos: cosGradient,
};
