/**
 * DINOv2 (Oquab et al., "DINOv2: Learning Robust Visual Features without
 * Supervision", arXiv:2304.07193) as `VisionEncoderDecoderModel` uses it:
 * `Dinov2Model`'s last hidden state (final `layernorm` applied; the pooled CLS
 * output is unused). Mirrors transformers' `models/dinov2/modeling_dinov2.py`
 * (5.18): ViT-style patch embeddings with a CLS token, pre-LN layers whose
 * attention and MLP branches are each scaled by a layer-scale vector
 * (`layer_scale{1,2}.lambda1`), and either a GELU MLP (`mlp.fc1/fc2`) or a
 * SwiGLU one (`use_swiglu_ffn`). Weight names are the ones `save_pretrained`
 * writes (5.18 converts its `q_proj` / `gate_proj` modules back to the hub's
 * `attention.attention.query` / `mlp.weights_in` on saving).
 *
 * Written as a third-party plugin: it imports nothing but `@ved/core`'s public API.
 */
import {
  BuildContext,
  VedError,
  activation,
  dropPath,
  dropout,
  layerNorm,
  linear,
  mergeHeads,
  patchGrid,
  scaledDotProductAttention,
  splitHeads,
  vitEmbeddings,
  weightsFromGraph,
  type EncoderBuildOptions,
  type EncoderPlugin,
  type WeightSpec,
} from '@ved/core';
import { mlpHiddenSize, parseDinov2Config, type Dinov2Config } from './config.js';
import { bitImageProcessor } from './processor.js';

/**
 * `Dinov2Layer.mlp`: `Dinov2MLP` (fc1 → hidden_act → fc2) or `Dinov2SwiGLUFFN`,
 * whose checkpoint keeps gate and up projections as one `weights_in` of
 * 2·F rows (gate first: 5.18's loader splits it with `Chunk(dim=0)`):
 * `weights_out(silu(gate(x)) * up(x))`.
 */
function mlp(ctx: BuildContext, c: Dinov2Config, x: string): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const F = mlpHiddenSize(c);
  if (!c.useSwigluFfn) {
    const inner = activation(g, linear(ctx, x, 'mlp.fc1', H, F), c.hiddenAct);
    return linear(ctx, inner, 'mlp.fc2', F, H);
  }
  const both = linear(ctx, x, 'mlp.weights_in', H, 2 * F);
  const half = (from: number) => g.op('Slice', [both, g.constInt([from]), g.constInt([from + F]), g.constInt([-1])]);
  const inner = g.op('Mul', [activation(g, half(0), 'silu'), half(F)]);
  return linear(ctx, inner, 'mlp.weights_out', F, H);
}

/**
 * `encoder.layer.{i}` (ctx at it): x + drop_path(λ1 · attention(norm1(x))),
 * then x + drop_path(λ2 · mlp(norm2(x))). Dinov2 has no dropout on the
 * branch outputs, only on the attention probabilities.
 */
function layer(ctx: BuildContext, c: Dinov2Config, x: string): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const headDim = H / heads;
  const h = layerNorm(ctx, x, 'norm1', H, c.layerNormEps);
  const proj = (name: string) => splitHeads(g, linear(ctx, h, `attention.attention.${name}`, H, H, c.qkvBias), heads, headDim);
  const attn = scaledDotProductAttention(g, proj('query'), proj('key'), proj('value'), {
    scale: 1 / Math.sqrt(headDim),
    dropout: (probs) => dropout(ctx, probs, c.attentionProbsDropoutProb),
  });
  const attnOut = linear(ctx, mergeHeads(g, attn, H), 'attention.output.dense', H, H);
  const scaled1 = g.op('Mul', [attnOut, ctx.weight('layer_scale1.lambda1', [H])]);
  const x1 = g.op('Add', [dropPath(ctx, scaled1, c.dropPathRate, 3), x]);
  const m = mlp(ctx, c, layerNorm(ctx, x1, 'norm2', H, c.layerNormEps));
  const scaled2 = g.op('Mul', [m, ctx.weight('layer_scale2.lambda1', [H])]);
  return g.op('Add', [dropPath(ctx, scaled2, c.dropPathRate, 3), x1]);
}

/**
 * `Dinov2Embeddings.interpolate_pos_encoding` always runs in Python: it
 * returns the table as it is when the image has the config's patch count
 * and is square, and otherwise resizes the patch positions, reshaped as a
 * sqrt(N)×sqrt(N) grid, to the image's grid (bicubic, `align_corners=False`,
 * no antialias) — which is core's `vitEmbeddings` with `interpolate`. A
 * position table that is not a square grid fails that reshape in Python.
 */
function checkSquareGrid(c: Dinov2Config): void {
  const [gh, gw] = patchGrid(c);
  if (gh !== gw) {
    throw new VedError(
      'INVALID_CONFIG',
      `The dinov2 config's "image_size" [${c.imageSize.join(', ')}] and "patch_size" [${c.patchSize.join(', ')}] give a ${gh}x${gw} grid of ` +
        'position embeddings; Dinov2Embeddings.interpolate_pos_encoding reshapes them as a square grid, so transformers cannot run it either.',
    );
  }
}

function buildGraph(ctx: BuildContext, c: Dinov2Config, pixelValues: string, options: EncoderBuildOptions): string {
  checkSquareGrid(c);
  // Without interpolatePosEncoding the graph takes the config's image size only, where Python's
  // interpolation is the identity; with it, any size, resized as Python resizes.
  const interpolate = options.interpolatePosEncoding === true;
  const dims = { ...c, modelType: 'dinov2' };
  let x = ctx.g.scope('embeddings', () => vitEmbeddings(ctx.at('embeddings'), dims, pixelValues, ['cls_token'], interpolate));
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const lctx = ctx.at(`encoder.layer.${i}`);
    x = ctx.g.scope(`layer${i}`, () => layer(lctx, c, x));
  }
  return layerNorm(ctx, x, 'layernorm', c.hiddenSize, c.layerNormEps);
}

/** The order `Dinov2Embeddings`, `Dinov2Layer` and `Dinov2Model` register their parts in (`state_dict` order). */
const STATE_DICT_ORDER = [
  'embeddings', 'encoder', 'layernorm',
  'cls_token', 'mask_token', 'patch_embeddings', 'position_embeddings',
  'norm1', 'attention', 'layer_scale1', 'norm2', 'mlp', 'layer_scale2',
  'query', 'key', 'value', 'output',
  'fc1', 'fc2', 'weights_in', 'weights_out',
];

/**
 * Every tensor `Dinov2Model` saves, derived from the graph (the mask token,
 * which the graph never reads, listed explicitly), initialised as
 * `Dinov2PreTrainedModel._init_weights` does: linear and conv weights
 * `trunc_normal_(std=initializer_range)`, biases zero, CLS token and position
 * embeddings trunc-normal, the mask token zero, the layer-scale vectors
 * `layerscale_value`, layer norms one / zero.
 */
function weights(c: Dinov2Config): WeightSpec[] {
  const trunc = { kind: 'truncNormal', std: c.initializerRange } as const;
  return weightsFromGraph((ctx) => buildGraph(ctx, c, 'pixel_values', {}), {
    std: c.initializerRange,
    init: (name, shape) => {
      if (name === 'embeddings.mask_token') return { kind: 'zeros' };
      if (name.endsWith('.lambda1')) return { kind: 'constant', value: c.layerscaleValue };
      if (name === 'embeddings.cls_token' || name === 'embeddings.position_embeddings') return trunc;
      return name.endsWith('.weight') && shape.length > 1 ? trunc : undefined;
    },
    order: STATE_DICT_ORDER,
    unread: c.useMaskToken ? [{ name: 'embeddings.mask_token', shape: [1, c.hiddenSize] }] : [],
  });
}

export const dinov2Encoder: EncoderPlugin<Dinov2Config> = {
  modelType: 'dinov2',
  imageProcessors: [bitImageProcessor],
  // transformers' IMAGE_PROCESSOR_MAPPING_NAMES: dinov2 → BitImageProcessor.
  defaultImageProcessor: 'BitImageProcessor',
  // Dinov2Embeddings.interpolate_pos_encoding runs on every forward: any image size is accepted.
  interpolatesAlways: true,
  parseConfig: parseDinov2Config,
  hiddenSize: (c) => c.hiddenSize,
  imageSize: (c) => c.imageSize,
  numChannels: (c) => c.numChannels,
  weights,
  buildGraph,
};
