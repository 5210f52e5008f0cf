/**
 * DeiT (Touvron et al., "Training data-efficient image transformers &
 * distillation through attention", arXiv:2012.12877) as
 * `VisionEncoderDecoderModel` uses it: `DeiTModel`, whose last hidden state is
 * `[CLS, distillation, patches]` after the final layer norm. Mirrors
 * transformers' `modeling_deit.py`; weight names are the checkpoint's (legacy
 * names, as `save_pretrained` writes them).
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
import { parseDeiTConfig, type DeiTConfig } from './config.js';

/** CLS and distillation tokens come before the patches. */
const SPECIAL_TOKENS = 2;

const grid = (c: DeiTConfig): [number, number] => [
  Math.floor(c.imageSize[0] / c.patchSize[0]),
  Math.floor(c.imageSize[1] / c.patchSize[1]),
];
const numPatches = (c: DeiTConfig) => grid(c)[0] * grid(c)[1];

/**
 * `interpolate_pos_encoding`: the patch position embeddings, seen as a square
 * grid, resized to the patch grid of this image like torch's
 * `F.interpolate(mode="bicubic", align_corners=False)` (a = -0.75, clamped
 * edges: ONNX Resize cubic with half_pixel); the special tokens' entries are kept.
 * Returns [1, special + h*w, H].
 */
function interpolatePositions(g: GraphBuilder, table: string, c: DeiTConfig, conv: string): string {
  const H = c.hiddenSize;
  const [gh, gw] = grid(c);
  if (gh !== gw) {
    throw new VedError(
      'INVALID_OPTION',
      `interpolatePosEncoding needs a square grid of position embeddings, but the deit config's "image_size" ` +
        `[${c.imageSize.join(', ')}] and "patch_size" [${c.patchSize.join(', ')}] give ${gh}x${gw} (transformers fails on this too).`,
    );
  }
  const n = gh * gw;
  const special = g.op('Slice', [table, g.constInt([0]), g.constInt([SPECIAL_TOKENS]), g.constInt([1])]);
  const patches = g.op('Slice', [table, g.constInt([SPECIAL_TOKENS]), g.constInt([SPECIAL_TOKENS + n]), g.constInt([1])]);
  const square = g.op('Transpose', [g.op('Reshape', [patches, g.constInt([1, gh, gw, H])])], { perm: [0, 3, 1, 2] });
  const size = g.op('Concat', [g.constInt([1, H]), g.op('Slice', [g.op('Shape', [conv]), g.constInt([2]), g.constInt([4])])], { axis: 0 });
  const resized = g.op('Resize', [square, '', '', size], {
    mode: 'cubic',
    cubic_coeff_a: { float: -0.75 },
    coordinate_transformation_mode: 'half_pixel',
    exclude_outside: 0,
  });
  const flat = g.op('Transpose', [g.op('Reshape', [resized, g.constInt([1, H, -1])])], { perm: [0, 2, 1] });
  return g.op('Concat', [special, flat], { axis: 1 });
}

/** `embeddings`: patch projection, CLS and distillation tokens, position embeddings. */
function embeddings(ctx: BuildContext, c: DeiTConfig, pixelValues: string, interpolate: boolean): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const [ph, pw] = c.patchSize;
  const conv = g.op(
    'Conv',
    [
      pixelValues,
      ctx.weight('patch_embeddings.projection.weight', [H, c.numChannels, ph, pw]),
      ctx.weight('patch_embeddings.projection.bias', [H]),
    ],
    { kernel_shape: [ph, pw], strides: [ph, pw] },
  );
  // [B, H, h, w] → [B, N, H]
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.constInt([0, H, -1])])], { perm: [0, 2, 1] });
  const batch = g.op('Slice', [g.op('Shape', [pixelValues]), g.constInt([0]), g.constInt([1])]);
  const tokenShape = g.op('Concat', [batch, g.constInt([1, H])], { axis: 0 });
  const cls = g.op('Expand', [ctx.weight('cls_token', [1, 1, H]), tokenShape]);
  const dist = g.op('Expand', [ctx.weight('distillation_token', [1, 1, H]), tokenShape]);
  const tokens = g.op('Concat', [cls, dist, patches], { axis: 1 });
  const table = ctx.weight('position_embeddings', [1, numPatches(c) + SPECIAL_TOKENS, H]);
  return g.op('Add', [tokens, interpolate ? interpolatePositions(g, table, c, conv) : table]);
}

/** `encoder.layer.{i}`: pre-LN self-attention and MLP (as ViT). */
function layer(ctx: BuildContext, c: DeiTConfig, x: string): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const headDim = H / heads;
  const h = layerNorm(ctx, x, 'layernorm_before', H, c.layerNormEps);
  const proj = (name: string) => splitHeads(g, linear(ctx, h, `attention.attention.${name}`, H, H, c.qkvBias), heads, headDim);
  const attn = scaledDotProductAttention(g, proj('query'), proj('key'), proj('value'), { scale: 1 / Math.sqrt(headDim) });
  const x1 = g.op('Add', [x, linear(ctx, mergeHeads(g, attn, H), 'attention.output.dense', H, H)]);
  const m = layerNorm(ctx, x1, 'layernorm_after', H, c.layerNormEps);
  const inter = activation(g, linear(ctx, m, 'intermediate.dense', H, c.intermediateSize), c.hiddenAct);
  return g.op('Add', [x1, linear(ctx, inter, 'output.dense', c.intermediateSize, H)]);
}

function buildGraph(ctx: BuildContext, c: DeiTConfig, pixelValues: string, options: EncoderBuildOptions): string {
  const interpolate = options.interpolatePosEncoding === true;
  let x = ctx.g.scope('embeddings', () => embeddings(ctx.at('embeddings'), c, pixelValues, interpolate));
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const lctx = ctx.at(`encoder.layer.${i}`);
    x = ctx.g.scope(`layer${i}`, () => layer(lctx, c, x));
  }
  return layerNorm(ctx, x, 'layernorm', c.hiddenSize, c.layerNormEps);
}

/**
 * `DeiTPreTrainedModel._init_weights`: linear and conv weights N(0, initializer_range)
 * (the base `_init_weights`), biases 0, layer norms 1/0; the CLS and distillation
 * tokens and the position embeddings end up zero (the trunc_normal_ draw is
 * overwritten by `zeros_`).
 */
function weights(c: DeiTConfig): WeightSpec[] {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const normal = { kind: 'normal', std: c.initializerRange } as const;
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
    { name: 'embeddings.cls_token', shape: [1, 1, H], init: zeros },
    { name: 'embeddings.distillation_token', shape: [1, 1, H], init: zeros },
    { name: 'embeddings.position_embeddings', shape: [1, numPatches(c) + SPECIAL_TOKENS, H], init: zeros },
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
  // DeiTModel's pooler (dense + tanh on CLS): unused by VisionEncoderDecoder, but part of the checkpoint.
  specs.push(...lin('pooler.dense', c.poolerOutputSize, H));
  return specs;
}

export const deitEncoder: EncoderPlugin<DeiTConfig> = {
  modelType: 'deit',
  parseConfig: parseDeiTConfig,
  hiddenSize: (c) => c.hiddenSize,
  imageSize: (c) => c.imageSize,
  numChannels: (c) => c.numChannels,
  weights,
  buildGraph,
};
