/**
 * Shared building blocks (linear, Conv1D, layer norm, activations, MLP),
 * written once so architecture files read like their Hugging Face modeling
 * files.
 */
import { VedError } from '../errors.js';
import { transpose2d, type BuildContext } from './context.js';
import { quantizedMatMul } from './quantize.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';

/**
 * `nn.Linear(inF, outF)`: weight [out, in] as stored in the checkpoint, applied
 * as x @ W^T + b by a Gemm with transB — the weight is used as it lies on disk
 * (no transposed copy), so onnxruntime can read it straight from the file.
 */
export function linear(ctx: BuildContext, x: string, name: string, inF: number, outF: number, bias = true): string {
  const { g } = ctx;
  const b = bias ? ctx.weight(`${name}.bias`, [outF]) : undefined;
  const quantized = quantizedMatMul(ctx, x, `${name}.weight`, outF, inF, 'NK', b);
  if (quantized !== undefined) return quantized;
  if (ctx.layout.linearAsMatMul && ctx.training === undefined) {
    const wt = ctx.derived(`${name}.weight`, [outF, inF], '.T', [inF, outF], (w) => transpose2d(w, outF, inF));
    const y = g.op('MatMul', [x, wt]);
    return b === undefined ? y : g.op('Add', [y, b]);
  }
  const w = ctx.weight(`${name}.weight`, [outF, inF]);
  const flat = g.op('Reshape', [x, g.constInt([-1, inF])]);
  const inputs = b === undefined ? [flat, w] : [flat, w, b];
  const y = g.op('Gemm', inputs, { transB: 1 });
  const leading = g.op('Slice', [g.op('Shape', [x]), g.constInt([0]), g.constInt([-1])]);
  return g.op('Reshape', [y, g.op('Concat', [leading, g.constInt([outF])], { axis: 0 })]);
}

/** GPT-2's `Conv1D(nf, nx)`: weight stored [in, out], y = x @ W + b. */
export function conv1d(ctx: BuildContext, x: string, name: string, inF: number, outF: number): string {
  const bias = ctx.weight(`${name}.bias`, [outF]);
  const quantized = quantizedMatMul(ctx, x, `${name}.weight`, outF, inF, 'KN', bias);
  if (quantized !== undefined) return quantized;
  const y = ctx.g.op('MatMul', [x, ctx.weight(`${name}.weight`, [inF, outF])]);
  return ctx.g.op('Add', [y, bias]);
}

/**
 * Logits of a language-model head whose weight is [vocab, hidden] (often tied
 * to the input embeddings): x [.., hidden] → [.., vocab], no bias unless given.
 */
export function lmHead(ctx: BuildContext, x: string, weightName: string, vocab: number, hidden: number, bias?: string): string {
  const { g } = ctx;
  const quantized = quantizedMatMul(ctx, x, weightName, vocab, hidden, 'NK', bias);
  if (quantized !== undefined) return quantized;
  const flat = g.op('Reshape', [x, g.constInt([-1, hidden])]);
  const w = ctx.headWeight(weightName, [vocab, hidden]);
  const y = g.op('Gemm', bias === undefined ? [flat, w] : [flat, w, bias], { transB: 1 });
  const leading = g.op('Slice', [g.op('Shape', [x]), g.constInt([0]), g.constInt([-1])]);
  return g.op('Reshape', [y, g.op('Concat', [leading, g.constInt([vocab])], { axis: 0 })]);
}

/**
 * `nn.LayerNorm(size, eps)` over the last axis. Training graphs also take its
 * mean and inverse standard deviation, which the gradient reuses.
 */
export function layerNorm(ctx: BuildContext, x: string, name: string, size: number, eps: number): string {
  const inputs = [x, ctx.weight(`${name}.weight`, [size]), ctx.weight(`${name}.bias`, [size])];
  const attrs = { axis: -1, epsilon: { float: eps } };
  if (ctx.training !== undefined) return ctx.g.opMulti('LayerNormalization', inputs, attrs, { outputs: 3 })[0]!;
  return ctx.g.op('LayerNormalization', inputs, attrs);
}

/** The activations of Hugging Face's `ACT2FN` that the supported architectures use. */
export const ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'relu', 'silu', 'swish', 'tanh', 'sigmoid'] as const;

export function activation(g: GraphBuilder, x: string, name: string, field = 'hidden_act'): string {
  switch (name) {
    case 'gelu':
      return g.op('Gelu', [x], {}, { domain: 'com.microsoft' });
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      // 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))): onnxruntime's FastGelu is exactly this formula.
      return g.op('FastGelu', [x], {}, { domain: 'com.microsoft' });
    case 'quick_gelu':
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.constFloat(1.702)])])]);
    case 'relu':
      return g.op('Relu', [x]);
    case 'silu':
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'tanh':
      return g.op('Tanh', [x]);
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    default:
      throw new VedError(
        'INVALID_CONFIG',
        `Unsupported activation ${JSON.stringify(name)} in config field "${field}"; supported: ${ACTIVATIONS.join(', ')}.`,
      );
  }
}
