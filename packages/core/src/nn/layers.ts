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

/**
 * The activations of Hugging Face's `ACT2CLS` (transformers' `activations.py`): every one without
 * weights of its own (`prelu` and `xielu` hold parameters, which no supported architecture names).
 */
export const ACTIVATIONS = [
  'gelu', 'gelu_10', 'gelu_fast', 'gelu_new', 'gelu_python', 'gelu_pytorch_tanh', 'gelu_python_tanh', 'gelu_accurate',
  'hardswish', 'laplace', 'leaky_relu', 'linear', 'mish', 'quick_gelu', 'relu', 'relu2', 'relu6', 'sigmoid', 'silu',
  'sqrtsoftplus', 'swish', 'tanh',
] as const;

/** `min <= y <= max ? y : bound`, as `torch.clip` (the gradient passes where the bounds do not apply). */
function clip(g: GraphBuilder, y: string, min: number | undefined, max: number): string {
  const upper = g.op('Where', [g.op('Greater', [y, g.constFloat(max)]), g.constFloat(max), y]);
  return min === undefined ? upper : g.op('Where', [g.op('Less', [upper, g.constFloat(min)]), g.constFloat(min), upper]);
}

/**
 * `ACT2FN[name](x)`. Python's formulas, each as the op or ops that compute it: the erf GELUs
 * (`gelu`, `gelu_python`) as onnxruntime's Gelu, the tanh ones (`gelu_new`, `gelu_fast`,
 * `gelu_pytorch_tanh`, `gelu_python_tanh`, `gelu_accurate`: one formula) as its FastGelu.
 */
export function activation(g: GraphBuilder, x: string, name: string, field = 'hidden_act'): string {
  switch (name) {
    case 'gelu':
    case 'gelu_python':
      return g.op('Gelu', [x], {}, { domain: 'com.microsoft' });
    case 'gelu_10': // ClippedGELUActivation(-10, 10)
      return clip(g, g.op('Gelu', [x], {}, { domain: 'com.microsoft' }), -10, 10);
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_python_tanh':
    case 'gelu_fast':
    case 'gelu_accurate':
      // 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))): onnxruntime's FastGelu is exactly this formula.
      return g.op('FastGelu', [x], {}, { domain: 'com.microsoft' });
    case 'quick_gelu':
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.constFloat(1.702)])])]);
    case 'hardswish': // nn.Hardswish: x relu6(x + 3) / 6
      return g.op('HardSwish', [x]);
    case 'laplace': // LaplaceActivation: 0.5 (1 + erf((x - mu) / (sigma sqrt 2))), mu 0.707107, sigma 0.282095
      return g.op('Mul', [
        g.op('Add', [g.op('Erf', [g.op('Div', [g.op('Sub', [x, g.constFloat(0.707107)]), g.constFloat(0.282095 * Math.SQRT2)])]), g.constFloat(1)]),
        g.constFloat(0.5),
      ]);
    case 'leaky_relu': // nn.LeakyReLU(): negative_slope 0.01
      return g.op('LeakyRelu', [x], { alpha: { float: 0.01 } });
    case 'linear':
      return x;
    case 'mish': // x tanh(softplus(x))
      return g.op('Mul', [x, g.op('Tanh', [g.op('Softplus', [x])])]);
    case 'relu':
      return g.op('Relu', [x]);
    case 'relu2': {
      const r = g.op('Relu', [x]);
      return g.op('Mul', [r, r]);
    }
    case 'relu6': // nn.ReLU6: hardtanh(x, 0, 6), no gradient at either bound
      return g.op('Where', [g.op('GreaterOrEqual', [x, g.constFloat(6)]), g.constFloat(6), g.op('Relu', [x])]);
    case 'silu':
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'sqrtsoftplus':
      return g.op('Sqrt', [g.op('Softplus', [x])]);
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
