/**
 * Gradients of the matrix products MatMul (numpy semantics, batched) and Gemm
 * (2-D, with transA/transB, alpha, beta and a broadcast C):
 *   Y = A·B: dA = dY·Bᵀ, dB = Aᵀ·dY, summed over broadcast batch axes.
 * A 2-D weight on the right of a batched product (x [.., K] · W [K, N], as in
 * GPT-2's Conv1D) gets its gradient from one Gemm over the flattened rows
 * rather than a batched product and a reduction.
 */
import { VedError } from '../../errors.js';
import type { GradientContext, GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';

const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

function rankOf(ctx: GradientContext, v: string): number {
  const dims = ctx.info(v).dims;
  if (dims === undefined) throw new VedError('INVALID_INPUT', `MatMul "${ctx.node.outputs[0]}": the rank of "${v}" is unknown.`);
  if (dims.length < 2) throw new VedError('INVALID_INPUT', `MatMul "${ctx.node.outputs[0]}": 1-D operands ("${v}") are not differentiated.`);
  return dims.length;
}

const matMulGradient: GradientRule = (ctx, [dy]) => {
  const { g } = ctx;
  const [a, b] = ctx.node.inputs as [string, string];
  const y = ctx.node.outputs[0]!;
  const ra = rankOf(ctx, a);
  const rb = rankOf(ctx, b);
  const dims = (v: string) => ctx.info(v).dims!;
  const k = dims(a)[ra - 1]!;
  const n = dims(b)[rb - 1]!;
  if (rb === 2 && typeof k === 'number' && typeof n === 'number') {
    // x [.., K] · W [K, N]: dx = dY·Wᵀ keeps x's shape; dW = Σ over rows, one Gemm over the flattened rows.
    const flat = (v: string, width: number) => (ra === 2 ? v : g.op('Reshape', [v, g.constInt([-1, width])]));
    const da = ctx.needs(0) ? (ra === 2 ? g.op('Gemm', [dy!, b], { transB: 1 }) : g.op('MatMul', [dy!, g.op('Transpose', [b], { perm: [1, 0] })])) : undefined;
    const db = ctx.needs(1) ? g.op('Gemm', [flat(a, k), flat(dy!, n)], { transA: 1 }) : undefined;
    return [da, db];
  }
  // The gradients have the broadcast batch axes of Y and the matrix axes of A (or B): sum over the batch axes A (B) was broadcast along.
  const yBatch = ctx.info(y).dims!.slice(0, -2);
  const withMatrix = (v: string) => [...yBatch, ...dims(v).slice(-2)];
  const da = ctx.needs(0) ? ctx.unbroadcast(g.op('MatMul', [dy!, g.op('Transpose', [b], { perm: swapLast(rb) })]), a, withMatrix(a)) : undefined;
  const db = ctx.needs(1) ? ctx.unbroadcast(g.op('MatMul', [g.op('Transpose', [a], { perm: swapLast(ra) }), dy!]), b, withMatrix(b)) : undefined;
  return [da, db];
};

const gemmGradient: GradientRule = (ctx, [dy]) => {
  const { g, node } = ctx;
  const [a, b, c] = node.inputs as [string, string, string | undefined];
  const y = node.outputs[0]!;
  const transA = intAttr(node, 'transA', 0) === 1;
  const transB = intAttr(node, 'transB', 0) === 1;
  const alpha = typeof node.attrs.alpha === 'object' && 'float' in node.attrs.alpha ? node.attrs.alpha.float : 1;
  const beta = typeof node.attrs.beta === 'object' && 'float' in node.attrs.beta ? node.attrs.beta.float : 1;
  const scaled = (v: string, s: number) => (s === 1 ? v : g.op('Mul', [v, ctx.scalar(s, y)]));
  // Y = op(A)·op(B): d op(A) = dY·op(B)ᵀ, d op(B) = op(A)ᵀ·dY; transposing back where op is a transpose.
  let da: string | undefined;
  if (ctx.needs(0)) {
    da = transA ? g.op('Gemm', [b, dy!], { transA: transB ? 1 : 0, transB: 1 }) : g.op('Gemm', [dy!, b], { transB: transB ? 0 : 1 });
    da = scaled(da, alpha);
  }
  let db: string | undefined;
  if (ctx.needs(1)) {
    db = transB ? g.op('Gemm', [dy!, a], { transA: 1, transB: transA ? 1 : 0 }) : g.op('Gemm', [a, dy!], { transA: transA ? 0 : 1 });
    db = scaled(db, alpha);
  }
  const dc = c !== undefined && ctx.needs(2) ? scaled(ctx.unbroadcast(dy!, c, y), beta) : undefined;
  return [da, db, dc];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const matmulGradients: Record<string, GradientRule> = {
  MatMul: matMulGradient,
  Gemm: gemmGradient,
};
