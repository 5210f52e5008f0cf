/**
 * Blocks of the ViT family, written once for ViT and DeiT (transformers'
 * `modeling_deit.py` copies them from `modeling_vit.py`): the patch embedding
 * with special tokens in front, `interpolate_pos_encoding` of the position
 * table, and the pre-LN encoder layer (`layernorm_before`, `attention.attention.*`,
 * `layernorm_after`, `intermediate`, `output`).
 */
import { VedError } from '../errors.js';
import { fusedAttention, mergeHeads, scaledDotProductAttention, splitHeads } from './attention.js';
import type { BuildContext } from './context.js';
import { dropout } from './dropout.js';
import { activation, layerNorm, linear } from './layers.js';

export interface ViTEmbeddingDims {
  modelType: string;
  hiddenSize: number;
  numChannels: number;
  imageSize: [number, number];
  patchSize: [number, number];
  /** `hidden_dropout_prob`, applied to the embeddings in train mode (default 0). */
  hiddenDropoutProb?: number;
}

/** The patch grid of the config's image size. */
export function patchGrid(c: Pick<ViTEmbeddingDims, 'imageSize' | 'patchSize'>): [number, number] {
  return [Math.floor(c.imageSize[0] / c.patchSize[0]), Math.floor(c.imageSize[1] / c.patchSize[1])];
}

/**
 * `embeddings` (ctx at `…embeddings`): Conv patch projection, the special
 * tokens (e.g. `cls_token`, `distillation_token`) in front, plus the position
 * table — resized to this image's grid when `interpolate`.
 */
export function vitEmbeddings(ctx: BuildContext, c: ViTEmbeddingDims, pixelValues: string, specialTokens: readonly string[], interpolate: boolean): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const [ph, pw] = c.patchSize;
  const conv = g.op(
    'Conv',
    [pixelValues, ctx.weight('patch_embeddings.projection.weight', [H, c.numChannels, ph, pw]), ctx.weight('patch_embeddings.projection.bias', [H])],
    { kernel_shape: [ph, pw], strides: [ph, pw] },
  );
  // [B, H, h, w] → [B, N, H]
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.constInt([0, H, -1])])], { perm: [0, 2, 1] });
  const batch = g.op('Slice', [g.op('Shape', [pixelValues]), g.constInt([0]), g.constInt([1])]);
  const tokenShape = g.op('Concat', [batch, g.constInt([1, H])], { axis: 0 });
  const special = specialTokens.map((name) => g.op('Expand', [ctx.weight(name, [1, 1, H]), tokenShape]));
  const tokens = g.op('Concat', [...special, patches], { axis: 1 });
  const [gh, gw] = patchGrid(c);
  const table = ctx.weight('position_embeddings', [1, gh * gw + specialTokens.length, H]);
  const embeddings = g.op('Add', [tokens, interpolate ? interpolatePositions(ctx, c, table, specialTokens.length, conv) : table]);
  return dropout(ctx, embeddings, c.hiddenDropoutProb ?? 0);
}

/**
 * `interpolate_pos_encoding` (`ViTEmbeddings.interpolate_pos_encoding`, DeiT's alike): the patch position
 * embeddings viewed as a square grid of sqrt(N) x sqrt(N) — as Python views them, whatever the config's
 * grid (a 4x1 grid is read as 2x2) — resized to the patch grid of this image like torch's
 * `F.interpolate(mode="bicubic", align_corners=False)` (a = -0.75, clamped edges: ONNX Resize cubic with
 * half_pixel); the special tokens' entries are kept. (Python skips the resize for a square image of the
 * config's patch count, a square grid resized to itself: the identity.)
 */
function interpolatePositions(ctx: BuildContext, c: ViTEmbeddingDims, table: string, special: number, conv: string): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const [gh, gw] = patchGrid(c);
  const n = gh * gw;
  const side = Math.floor(Math.sqrt(n));
  if (side * side !== n) {
    throw new VedError(
      'INVALID_OPTION',
      `interpolatePosEncoding views the position embeddings as a square grid, but the ${c.modelType} config's "image_size" ` +
        `[${c.imageSize.join(', ')}] and "patch_size" [${c.patchSize.join(', ')}] give ${gh}x${gw} = ${n} positions, not a square number (transformers fails on this too).`,
    );
  }
  const head = g.op('Slice', [table, g.constInt([0]), g.constInt([special]), g.constInt([1])]);
  const patches = g.op('Slice', [table, g.constInt([special]), g.constInt([special + n]), g.constInt([1])]);
  const square = g.op('Transpose', [g.op('Reshape', [patches, g.constInt([1, side, side, H])])], { perm: [0, 3, 1, 2] });
  const size = g.op('Concat', [g.constInt([1, H]), g.op('Slice', [g.op('Shape', [conv]), g.constInt([2]), g.constInt([4])])], { axis: 0 });
  const resized = g.op('Resize', [square, '', '', size], {
    mode: 'cubic',
    cubic_coeff_a: { float: -0.75 },
    coordinate_transformation_mode: 'half_pixel',
    exclude_outside: 0,
  });
  const flat = g.op('Transpose', [g.op('Reshape', [resized, g.constInt([1, H, -1])])], { perm: [0, 2, 1] });
  return g.op('Concat', [head, flat], { axis: 1 });
}

export interface ViTLayerDims {
  hiddenSize: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  layerNormEps: number;
  qkvBias: boolean;
  /** Train-mode dropout: `hidden_dropout_prob` after each sublayer, `attention_probs_dropout_prob` on the attention probabilities (default 0). */
  hiddenDropoutProb?: number;
  attentionProbsDropoutProb?: number;
}

/** `encoder.layer.{i}` (ctx at it): pre-LN self-attention and MLP. */
export function vitLayer(ctx: BuildContext, c: ViTLayerDims, x: string): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const headDim = H / heads;
  const h = layerNorm(ctx, x, 'layernorm_before', H, c.layerNormEps);
  const proj = (name: string) => linear(ctx, h, `attention.attention.${name}`, H, H, c.qkvBias);
  const scale = 1 / Math.sqrt(headDim);
  const context = ctx.fusedKernels
    ? fusedAttention(g, proj('query'), proj('key'), proj('value'), { heads, scale })
    : mergeHeads(
        g,
        scaledDotProductAttention(g, splitHeads(g, proj('query'), heads, headDim), splitHeads(g, proj('key'), heads, headDim), splitHeads(g, proj('value'), heads, headDim), {
          scale,
          dropout: (probs) => dropout(ctx, probs, c.attentionProbsDropoutProb ?? 0),
        }),
        H,
      );
  const hidden = c.hiddenDropoutProb ?? 0;
  const x1 = g.op('Add', [x, dropout(ctx, linear(ctx, context, 'attention.output.dense', H, H), hidden)]);
  const m = layerNorm(ctx, x1, 'layernorm_after', H, c.layerNormEps);
  const inter = activation(g, linear(ctx, m, 'intermediate.dense', H, c.intermediateSize), c.hiddenAct);
  return g.op('Add', [x1, dropout(ctx, linear(ctx, inter, 'output.dense', c.intermediateSize, H), hidden)]);
}
