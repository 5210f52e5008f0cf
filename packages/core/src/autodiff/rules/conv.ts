/**
 * Gradient of Conv (group 1, explicit pads; the patch embeddings of ViT,
 * DeiT, BEiT and Swin are such convolutions with stride = kernel):
 *   dB = Σ dY over batch and space;
 *   dW[o, c, k] = Σ_{n, i} dY[n, o, i] · X[n, c, i·s + k·d - p]: a convolution
 *     of X (batch and channels swapped) by dY (likewise), with the forward
 *     stride as dilation and the forward dilation as stride, cropped to the kernel;
 *   dX = ConvTranspose(dY, W) with the forward stride, pads and dilation, and
 *     the output padding that restores X's size.
 */
import { VedError } from '../../errors.js';
import type { GradientRule } from '../gradient-rule.js';
import { intAttr, intsAttr } from '../shape-inference.js';


const convGradient: GradientRule = (ctx, [dy]) => {
  const { g, node } = ctx;
  const [x, w, b] = node.inputs as [string, string, string | undefined];
  const xDims = ctx.info(x).dims;
  const wDims = ctx.info(w).dims;
  const fail = (why: string): never => {
    throw new VedError('INVALID_INPUT', `Cannot differentiate Conv "${node.outputs[0]}": ${why}.`);
  };
  if (xDims === undefined || wDims === undefined) fail('the rank of its input or weight is unknown');
  if (intAttr(node, 'group', 1) !== 1) fail('grouped convolutions are not differentiated');
  const autoPad = node.attrs.auto_pad;
  if (autoPad !== undefined && autoPad !== 'NOTSET') fail('auto_pad is not differentiated; give explicit pads');
  const spatial = xDims!.length - 2;
  const kernel = intsAttr(node, 'kernel_shape') ?? (wDims!.slice(2) as number[]);
  if (kernel.some((k) => typeof k !== 'number')) fail('its kernel size is unknown');
  const strides = intsAttr(node, 'strides') ?? Array<number>(spatial).fill(1);
  const pads = intsAttr(node, 'pads') ?? Array<number>(2 * spatial).fill(0);
  const dilations = intsAttr(node, 'dilations') ?? Array<number>(spatial).fill(1);
  const swap = [1, 0, ...Array.from({ length: spatial }, (_, i) => i + 2)];
  const spatialAxes = Array.from({ length: spatial }, (_, i) => i + 2);

  let dx: string | undefined;
  if (ctx.needs(0)) {
    const outputPadding: number[] = [];
    for (let i = 0; i < spatial; i++) {
      const size = xDims![i + 2];
      const out = ctx.info(node.outputs[0]!).dims?.[i + 2];
      if (typeof size !== 'number' || typeof out !== 'number') fail('the spatial size of its input must be known to differentiate with respect to it');
      const covered = (out as number - 1) * strides[i]! - pads[i]! - pads[i + spatial]! + dilations[i]! * (kernel[i]! - 1) + 1;
      outputPadding.push((size as number) - covered);
    }
    dx = g.op('ConvTranspose', [dy!, w], { strides, pads, dilations, output_padding: outputPadding, kernel_shape: kernel });
  }
  let dw: string | undefined;
  if (ctx.needs(1)) {
    const full = g.op('Conv', [g.op('Transpose', [x], { perm: swap }), g.op('Transpose', [dy!], { perm: swap })], {
      strides: dilations,
      dilations: strides,
      pads,
    });
    // [C, O, k'...] → crop to the kernel → [O, C, k...].
    const cropped = g.op('Slice', [full, g.constInt(kernel.map(() => 0)), g.constInt(kernel), g.constInt(spatialAxes)]);
    dw = g.op('Transpose', [cropped], { perm: swap });
  }
  const db = b !== undefined && ctx.needs(2) ? g.op('ReduceSum', [dy!, g.constInt([0, ...spatialAxes])], { keepdims: 0 }) : undefined;
  return [dx, dw, db];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const convGradients: Record<string, GradientRule> = {
  Conv: convGradient,
};
