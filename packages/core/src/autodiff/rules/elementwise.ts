/**
 * Gradients of the elementwise arithmetic ops (numpy broadcasting):
 * Add, Sub, Mul, Div, Neg, Sum, and the pass-through ops Identity and Cast.
 * A broadcast operand receives the gradient summed over the axes it was
 * broadcast along.
 */
import { FLOAT_TYPES, type GradientRule } from '../gradient-rule.js';

const CAST_CODE = { float32: 1, float64: 11, float16: 10 } as const;

const addGradient: GradientRule = (ctx, [dy]) => {
  const [a, b] = ctx.node.inputs;
  const y = ctx.node.outputs[0]!;
  return [ctx.needs(0) ? ctx.unbroadcast(dy!, a!, y) : undefined, ctx.needs(1) ? ctx.unbroadcast(dy!, b!, y) : undefined];
};

const subGradient: GradientRule = (ctx, [dy]) => {
  const [a, b] = ctx.node.inputs;
  const y = ctx.node.outputs[0]!;
  return [ctx.needs(0) ? ctx.unbroadcast(dy!, a!, y) : undefined, ctx.needs(1) ? ctx.g.op('Neg', [ctx.unbroadcast(dy!, b!, y)]) : undefined];
};

const mulGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const [a, b] = ctx.node.inputs;
  const y = ctx.node.outputs[0]!;
  return [
    ctx.needs(0) ? ctx.unbroadcast(g.op('Mul', [dy!, b!]), a!, y) : undefined,
    ctx.needs(1) ? ctx.unbroadcast(g.op('Mul', [dy!, a!]), b!, y) : undefined,
  ];
};

// d(a/b)/da = 1/b; d(a/b)/db = -a/b² = -y/b.
const divGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const [a, b] = ctx.node.inputs;
  const y = ctx.node.outputs[0]!;
  const da = ctx.needs(0) || ctx.needs(1) ? g.op('Div', [dy!, b!]) : undefined;
  return [
    ctx.needs(0) ? ctx.unbroadcast(da!, a!, y) : undefined,
    ctx.needs(1) ? g.op('Neg', [ctx.unbroadcast(g.op('Mul', [da!, y]), b!, y)]) : undefined,
  ];
};

const negGradient: GradientRule = (ctx, [dy]) => [ctx.g.op('Neg', [dy!])];

const sumGradient: GradientRule = (ctx, [dy]) => ctx.node.inputs.map((x, i) => (ctx.needs(i) ? ctx.unbroadcast(dy!, x, ctx.node.outputs[0]!) : undefined));

const identityGradient: GradientRule = (_ctx, [dy]) => [dy];

// A float-to-float cast passes the gradient back in the input's type; casts to integers carry none.
const castGradient: GradientRule = (ctx, [dy]) => {
  const from = ctx.info(ctx.node.inputs[0]!).type;
  const to = ctx.info(ctx.node.outputs[0]!).type;
  if (from === undefined || to === undefined || !FLOAT_TYPES.has(from) || !FLOAT_TYPES.has(to)) return [undefined];
  return [from === to ? dy : ctx.g.op('Cast', [dy!], { to: CAST_CODE[from as keyof typeof CAST_CODE] })];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const elementwiseGradients: Record<string, GradientRule> = {
  Add: addGradient,
  Sub: subGradient,
  Mul: mulGradient,
  Div: divGradient,
  Neg: negGradient,
  Sum: sumGradient,
  Identity: identityGradient,
  Cast: castGradient,
};
