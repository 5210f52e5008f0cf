/**
 * ViT (Dosovitskiy et al., "An Image is Worth 16x16 Words", arXiv:2010.11929)
 * as `VisionEncoderDecoderModel` uses it: `ViTModel` without the pooler.
 * Mirrors transformers' `modeling_vit.py`; weight names are the checkpoint's.
 */
import {
  BuildContext,
  VedError,
  activation,
  layerNorm,
  linear,
  mergeHeads,
  scaledDotProductAttention,
  splitHeads,
  type EncoderBuildOptions,
  type EncoderPlugin,
  type GraphBuilder,
  type WeightSpec,
} from '@ved/core';
import { parseViTConfig, type ViTConfig } from './config.js';

/**
 * `interpolate_pos_encoding`: the patch position embeddings, seen as a square
 * grid, resized to the patch grid of this image like torch's
 * `F.interpolate(mode="bicubic", align_corners=False)` (a = -0.75, clamped
 * edges: ONNX Resize cubic with half_pixel); the CLS entry is kept.
 * Returns [1, 1 + h*w, H]. (Python skips the resize when the grid is
 * unchanged; resizing to the same size is the identity.)
 */
function interpolatePositions(g: GraphBuilder, table: string, c: ViTConfig, conv: string): string {
  const H = c.hiddenSize;
  const gh = Math.floor(c.imageSize[0] / c.patchSize[0]);
  const gw = Math.floor(c.imageSize[1] / c.patchSize[1]);
  if (gh !== gw) {
    throw new VedError(
      'INVALID_OPTION',
      `interpolatePosEncoding needs a square grid of position embeddings, but the vit config's "image_size" ` +
        `[${c.imageSize.join(', ')}] and "patch_size" [${c.patchSize.join(', ')}] give ${gh}x${gw} (transformers fails on this too).`,
    );
  }
  const cls = g.op('Slice', [table, g.constInt([0]), g.constInt([1]), g.constInt([1])]);
  const patches = g.op('Slice', [table, g.constInt([1]), g.constInt([1 + gh * gw]), g.constInt([1])]);
  const square = g.op('Transpose', [g.op('Reshape', [patches, g.constInt([1, gh, gw, H])])], { perm: [0, 3, 1, 2] });
  const size = g.op('Concat', [g.constInt([1, H]), g.op('Slice', [g.op('Shape', [conv]), g.constInt([2]), g.constInt([4])])], { axis: 0 });
  const resized = g.op('Resize', [square, '', '', size], {
    mode: 'cubic',
    cubic_coeff_a: { float: -0.75 },
    coordinate_transformation_mode: 'half_pixel',
    exclude_outside: 0,
  });
  const flat = g.op('Transpose', [g.op('Reshape', [resized, g.constInt([1, H, -1])])], { perm: [0, 2, 1] });
  return g.op('Concat', [cls, flat], { axis: 1 });
}

/** `embeddings`: patch projection, CLS token, position embeddings (resized when `interpolate`). */
function embeddings(ctx: BuildContext, c: ViTConfig, pixelValues: string, interpolate = false): string {
  const { g } = ctx;
  const [ph, pw] = c.patchSize;
  const conv = g.op(
    'Conv',
    [
      pixelValues,
      ctx.weight('patch_embeddings.projection.weight', [c.hiddenSize, c.numChannels, ph, pw]),
      ctx.weight('patch_embeddings.projection.bias', [c.hiddenSize]),
    ],
    { kernel_shape: [ph, pw], strides: [ph, pw] },
  );
  // [B, H, h, w] → [B, N, H]
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.constInt([0, c.hiddenSize, -1])])], { perm: [0, 2, 1] });
  const batch = g.op('Slice', [g.op('Shape', [pixelValues]), g.constInt([0]), g.constInt([1])]);
  const clsShape = g.op('Concat', [batch, g.constInt([1, c.hiddenSize])], { axis: 0 });
  const cls = g.op('Expand', [ctx.weight('cls_token', [1, 1, c.hiddenSize]), clsShape]);
  const tokens = g.op('Concat', [cls, patches], { axis: 1 });
  const table = ctx.weight('position_embeddings', [1, numPatches(c) + 1, c.hiddenSize]);
  return g.op('Add', [tokens, interpolate ? interpolatePositions(g, table, c, conv) : table]);
}

function numPatches(c: ViTConfig): number {
  return Math.floor(c.imageSize[0] / c.patchSize[0]) * Math.floor(c.imageSize[1] / c.patchSize[1]);
}

/** `encoder.layer.{i}`: pre-LN self-attention and MLP. */
function layer(ctx: BuildContext, c: ViTConfig, x: string): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const headDim = H / heads;
  const h = layerNorm(ctx, x, 'layernorm_before', H, c.layerNormEps);
  const proj = (name: string) => splitHeads(g, linear(ctx, h, `attention.attention.${name}`, H, H, c.qkvBias), heads, headDim);
  const attn = scaledDotProductAttention(g, proj('query'), proj('key'), proj('value'), { scale: 1 / Math.sqrt(headDim) });
  const attnOut = linear(ctx, mergeHeads(g, attn, H), 'attention.output.dense', H, H);
  const x1 = g.op('Add', [x, attnOut]);
  const m = layerNorm(ctx, x1, 'layernorm_after', H, c.layerNormEps);
  const inter = activation(g, linear(ctx, m, 'intermediate.dense', H, c.intermediateSize), c.hiddenAct);
  return g.op('Add', [x1, linear(ctx, inter, 'output.dense', c.intermediateSize, H)]);
}

function buildGraph(ctx: BuildContext, c: ViTConfig, pixelValues: string, options: EncoderBuildOptions): string {
  const interpolate = options.interpolatePosEncoding === true;
  let x = ctx.g.scope('embeddings', () => embeddings(ctx.at('embeddings'), c, pixelValues, interpolate));
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const lctx = ctx.at(`encoder.layer.${i}`);
    x = ctx.g.scope(`layer${i}`, () => layer(lctx, c, x));
  }
  return layerNorm(ctx, x, 'layernorm', c.hiddenSize, c.layerNormEps);
}

function weights(c: ViTConfig): WeightSpec[] {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  // ViTPreTrainedModel._init_weights (5.18): linear and conv weights normal_(std=initializer_range),
  // the CLS token and position embeddings trunc_normal_.
  const normal = { kind: 'normal', std: c.initializerRange } as const;
  const trunc = { kind: 'truncNormal', std: c.initializerRange } as const;
  const zeros = { kind: 'zeros' } as const;
  const ones = { kind: 'ones' } as const;
  const lin = (name: string, out: number, inp: number, bias = true): WeightSpec[] => [
    { name: `${name}.weight`, shape: [out, inp], init: normal },
    ...(bias ? [{ name: `${name}.bias`, shape: [out], init: zeros }] : []),
  ];
  const ln = (name: string): WeightSpec[] => [
    { name: `${name}.weight`, shape: [H], init: ones },
    { name: `${name}.bias`, shape: [H], init: zeros },
  ];
  const [ph, pw] = c.patchSize;
  const specs: WeightSpec[] = [
    { name: 'embeddings.cls_token', shape: [1, 1, H], init: trunc },
    { name: 'embeddings.position_embeddings', shape: [1, numPatches(c) + 1, H], init: trunc },
    { name: 'embeddings.patch_embeddings.projection.weight', shape: [H, c.numChannels, ph, pw], init: normal },
    { name: 'embeddings.patch_embeddings.projection.bias', shape: [H], init: zeros },
  ];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = `encoder.layer.${i}`;
    for (const n of ['query', 'key', 'value']) specs.push(...lin(`${p}.attention.attention.${n}`, H, H, c.qkvBias));
    specs.push(
      ...lin(`${p}.attention.output.dense`, H, H),
      ...lin(`${p}.intermediate.dense`, I, H),
      ...lin(`${p}.output.dense`, H, I),
      ...ln(`${p}.layernorm_before`),
      ...ln(`${p}.layernorm_after`),
    );
  }
  specs.push(...ln('layernorm'));
  // ViTModel's pooler (dense + tanh on CLS): unused by VisionEncoderDecoder, but part of the checkpoint.
  specs.push(...lin('pooler.dense', c.poolerOutputSize, H));
  return specs;
}

export const vitEncoder: EncoderPlugin<ViTConfig> = {
  modelType: 'vit',
  parseConfig: parseViTConfig,
  hiddenSize: (c) => c.hiddenSize,
  imageSize: (c) => c.imageSize,
  numChannels: (c) => c.numChannels,
  weights,
  buildGraph,
};
