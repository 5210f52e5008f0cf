/**
 * BEiT (Bao et al., "BEiT: BERT Pre-Training of Image Transformers",
 * arXiv:2106.08254) as `VisionEncoderDecoderModel` uses it: `BeitModel`, also
 * the encoder of TrOCR's base and large checkpoints. Mirrors transformers'
 * `modeling_beit.py`: no key bias, layer scale (`lambda_1`, `lambda_2`),
 * relative position bias per layer or shared, optional absolute positions,
 * and with `use_mean_pooling` (the default) no final layer norm, so the states
 * the decoder attends to are not normalised. Weight names are the checkpoint's.
 *
 * The graph follows the image size at run time as Python does (the bias table
 * is resized to the patch grid of the input, absolute positions are resized
 * for non-square or other-sized inputs), so it is the same with or without
 * `interpolatePosEncoding`; that option only makes the input size dynamic.
 */
import {
  BuildContext,
  activation,
  dropPath,
  dropout,
  fusedAttention,
  layerNorm,
  linear,
  mergeHeads,
  splitHeads,
  type EncoderBuildOptions,
  type EncoderPlugin,
  weightsFromGraph,
  type GraphBuilder,
  type WeightSpec,
} from '@ved/core';
import { parseBeitConfig, patchGrid, type BeitConfig } from './config.js';
import { imageProcessors } from './image-processors.js';

/** Number of entries of a relative position bias table for a `gh` x `gw` patch grid. */
const tableRows = ([gh, gw]: [number, number]) => (2 * gh - 1) * (2 * gw - 1) + 3;

/** The patch grid of the input (int64 [2]: h, w), from the patch convolution's output [B, H, h, w]. */
const gridOf = (g: GraphBuilder, conv: string) => g.op('Slice', [g.op('Shape', [conv]), g.constInt([2]), g.constInt([4])]);

/** Element `i` of an int64 vector, as an int64 [1] tensor. */
const at = (g: GraphBuilder, v: string, i: number) => g.op('Slice', [v, g.constInt([i]), g.constInt([i + 1])]);

/**
 * `BeitRelativePositionBias.forward`: the table (for the config's grid) is
 * resized to the input's grid and indexed by relative offset, giving
 * [1, heads, N+1, N+1]. As in transformers, the (2Wh-1)(2Ww-1) patch entries
 * are viewed as a [2Ww-1, 2Wh-1] grid before the bilinear resize to
 * [2h-1, 2w-1] (an identity only for square grids of unchanged size), and the
 * index is `(dy + h-1)(2w-1) + dx + w-1`, with cls→token, token→cls and
 * cls→cls taking the last three rows.
 */
function relativePositionBias(ctx: BuildContext, c: BeitConfig, name: string, grid: string): string {
  const { g } = ctx;
  const heads = c.numAttentionHeads;
  const [oh, ow] = patchGrid(c);
  const rows = tableRows([oh, ow]);
  const table = ctx.weight(`${name}.relative_position_bias_table`, [rows, heads]);
  const one = g.constInt([1]);
  const two = g.constInt([2]);
  const h = at(g, grid, 0);
  const w = at(g, grid, 1);
  const spanH = g.op('Sub', [g.op('Mul', [h, two]), one]); // 2h-1
  const spanW = g.op('Sub', [g.op('Mul', [w, two]), one]); // 2w-1

  // Resize the patch part of the table; append the three cls rows.
  const sub = g.op('Slice', [table, g.constInt([0]), g.constInt([rows - 3]), g.constInt([0])]);
  const grid4 = g.op('Transpose', [g.op('Reshape', [sub, g.constInt([1, 2 * ow - 1, 2 * oh - 1, heads])])], { perm: [0, 3, 1, 2] });
  const size = g.op('Concat', [g.constInt([1, heads]), spanH, spanW], { axis: 0 });
  const resized = g.op('Resize', [grid4, '', '', size], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  const flat = g.op('Reshape', [g.op('Transpose', [resized], { perm: [0, 2, 3, 1] }), g.constInt([-1, heads])]);
  const newTable = g.op('Concat', [flat, g.op('Slice', [table, g.constInt([rows - 3]), g.constInt([rows]), g.constInt([0])])], { axis: 0 });

  // Index [(N+1), (N+1)] for the input's grid.
  const n = g.op('Mul', [h, w]);
  const pos = g.op('Range', [g.constInt(0, []), g.op('Squeeze', [n, g.constInt([0])]), g.constInt(1, [])]); // [N]
  const y = g.op('Div', [pos, w]);
  const x = g.op('Mod', [pos, w]);
  const diff = (v: string) => g.op('Sub', [g.op('Unsqueeze', [v, one]), g.op('Unsqueeze', [v, g.constInt([0])])]); // v_i - v_j
  const dy = g.op('Add', [diff(y), g.op('Sub', [h, one])]);
  const dx = g.op('Add', [diff(x), g.op('Sub', [w, one])]);
  const patchIndex = g.op('Add', [g.op('Mul', [dy, spanW]), dx]); // [N, N]
  const r = g.op('Mul', [spanH, spanW]); // first cls row
  const nShape = g.op('Concat', [n, one], { axis: 0 });
  const tokenToCls = g.op('Expand', [g.op('Add', [r, one]), nShape]); // [N, 1]
  const body = g.op('Concat', [tokenToCls, patchIndex], { axis: 1 }); // [N, N+1]
  const clsToToken = g.op('Expand', [r, g.op('Concat', [one, n], { axis: 0 })]); // [1, N]
  const top = g.op('Concat', [g.op('Unsqueeze', [g.op('Add', [r, two]), g.constInt([0])]), clsToToken], { axis: 1 }); // [1, N+1]
  const index = g.op('Concat', [top, body], { axis: 0 });

  const bias = g.op('Gather', [newTable, index], { axis: 0 }); // [N+1, N+1, heads]
  return g.op('Unsqueeze', [g.op('Transpose', [bias], { perm: [2, 0, 1] }), g.constInt([0])]);
}

/**
 * `BeitEmbeddings.interpolate_pos_encoding`: for a square input with the
 * config's patch count the table is used as is; otherwise its patch entries,
 * viewed as a square grid, are resized bicubically (torch a = -0.75) to the
 * input's grid. Resizing unconditionally is the same: in the first case the
 * grid is unchanged and the resize is the identity.
 */
function absolutePositions(ctx: BuildContext, c: BeitConfig, grid: string): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const [gh, gw] = patchGrid(c);
  const n = gh * gw;
  const table = ctx.weight('position_embeddings', [1, n + 1, H]);
  const side = Math.floor(Math.sqrt(n));
  if (side * side !== n) return table; // non-square grid: only the config's square input size works (checked by the config)
  const cls = g.op('Slice', [table, g.constInt([0]), g.constInt([1]), g.constInt([1])]);
  const patches = g.op('Slice', [table, g.constInt([1]), g.constInt([1 + n]), g.constInt([1])]);
  const square = g.op('Transpose', [g.op('Reshape', [patches, g.constInt([1, side, side, H])])], { perm: [0, 3, 1, 2] });
  const size = g.op('Concat', [g.constInt([1, H]), grid], { axis: 0 });
  const resized = g.op('Resize', [square, '', '', size], {
    mode: 'cubic',
    cubic_coeff_a: { float: -0.75 },
    coordinate_transformation_mode: 'half_pixel',
    exclude_outside: 0,
  });
  const flat = g.op('Transpose', [g.op('Reshape', [resized, g.constInt([1, H, -1])])], { perm: [0, 2, 1] });
  return g.op('Concat', [cls, flat], { axis: 1 });
}

/** `embeddings`: patch projection, CLS token, optional absolute positions. Returns the tokens and the conv output. */
function embeddings(ctx: BuildContext, c: BeitConfig, pixelValues: string): { tokens: string; conv: string } {
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
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.constInt([0, H, -1])])], { perm: [0, 2, 1] });
  const batch = g.op('Slice', [g.op('Shape', [pixelValues]), g.constInt([0]), g.constInt([1])]);
  const cls = g.op('Expand', [ctx.weight('cls_token', [1, 1, H]), g.op('Concat', [batch, g.constInt([1, H])], { axis: 0 })]);
  let tokens = g.op('Concat', [cls, patches], { axis: 1 });
  if (c.useAbsolutePositionEmbeddings) tokens = g.op('Add', [tokens, absolutePositions(ctx, c, gridOf(g, conv))]);
  return { tokens: dropout(ctx, tokens, c.hiddenDropoutProb), conv };
}

/**
 * `encoder.layer.{i}`: pre-LN attention (q/v biases, no k bias) and MLP, each scaled by its lambda.
 * In train mode each branch goes through dropout, then its lambda, then stochastic depth (`dropPathRate`).
 */
function layer(ctx: BuildContext, c: BeitConfig, x: string, sharedBias: string | undefined, grid: string, dropPathRate: number): string {
  const { g } = ctx;
  const H = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const headDim = H / heads;
  const h = layerNorm(ctx, x, 'layernorm_before', H, c.layerNormEps);
  const q = linear(ctx, h, 'attention.attention.query', H, H);
  const k = linear(ctx, h, 'attention.attention.key', H, H, false);
  const v = linear(ctx, h, 'attention.attention.value', H, H);
  const own = c.useRelativePositionBias ? relativePositionBias(ctx, c, 'attention.attention.relative_position_bias', grid) : undefined;
  const scale = 1 / Math.sqrt(headDim);
  let context: string;
  if (ctx.fusedKernels) {
    const bias = sharedBias === undefined ? own : own === undefined ? sharedBias : g.op('Add', [sharedBias, own]);
    context = fusedAttention(g, q, k, v, { heads, scale, ...(bias === undefined ? {} : { bias }) });
  } else {
    let scores = g.op('Mul', [g.op('MatMul', [splitHeads(g, q, heads, headDim), g.op('Transpose', [splitHeads(g, k, heads, headDim)], { perm: [0, 1, 3, 2] })]), g.constFloat(scale)]);
    // transformers adds the shared bias first, then the layer's own.
    if (sharedBias !== undefined) scores = g.op('Add', [scores, sharedBias]);
    if (own !== undefined) scores = g.op('Add', [scores, own]);
    const probs = dropout(ctx, g.op('Softmax', [scores], { axis: -1 }), c.attentionProbsDropoutProb);
    context = mergeHeads(g, g.op('MatMul', [probs, splitHeads(g, v, heads, headDim)]), H);
  }
  let out = dropout(ctx, linear(ctx, context, 'attention.output.dense', H, H), c.hiddenDropoutProb);
  if (c.layerScaleInitValue > 0) out = g.op('Mul', [ctx.weight('lambda_1', [H]), out]);
  const x1 = g.op('Add', [dropPath(ctx, out, dropPathRate, 3), x]);
  const m = layerNorm(ctx, x1, 'layernorm_after', H, c.layerNormEps);
  let mlp = linear(ctx, activation(g, linear(ctx, m, 'intermediate.dense', H, c.intermediateSize), c.hiddenAct), 'output.dense', c.intermediateSize, H);
  mlp = dropout(ctx, mlp, c.hiddenDropoutProb);
  if (c.layerScaleInitValue > 0) mlp = g.op('Mul', [ctx.weight('lambda_2', [H]), mlp]);
  return g.op('Add', [dropPath(ctx, mlp, dropPathRate, 3), x1]);
}

function buildGraph(ctx: BuildContext, c: BeitConfig, pixelValues: string, _options: EncoderBuildOptions): string {
  const { g } = ctx;
  const { tokens, conv } = g.scope('embeddings', () => embeddings(ctx.at('embeddings'), c, pixelValues));
  const grid = gridOf(g, conv);
  const shared = c.useSharedRelativePositionBias
    ? g.scope('shared_bias', () => relativePositionBias(ctx.at('encoder'), c, 'relative_position_bias', grid))
    : undefined;
  let x = tokens;
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const lctx = ctx.at(`encoder.layer.${i}`);
    // BeitModel: drop_path_rate * i / max(num_hidden_layers - 1, 1) for layer i.
    const dropPathRate = (c.dropPathRate * i) / Math.max(c.numHiddenLayers - 1, 1);
    x = g.scope(`layer${i}`, () => layer(lctx, c, x, shared, grid, dropPathRate));
  }
  return c.useMeanPooling ? x : layerNorm(ctx, x, 'layernorm', c.hiddenSize, c.layerNormEps);
}

/** The order `BeitEmbeddings`, `BeitEncoder`, `BeitSelfAttention` and `BeitLayer` register their parts in. */
const STATE_DICT_ORDER = [
  'cls_token', 'mask_token', 'position_embeddings', 'patch_embeddings',
  'query', 'key', 'value', 'relative_position_bias',
  'attention', 'intermediate', 'output', 'layernorm_before', 'layernorm_after', 'lambda_1', 'lambda_2',
];

/**
 * The weights the graph reads, plus those it never reads: the mask token, and with mean pooling the
 * (unused) pooler's layer norm. `BeitPreTrainedModel._init_weights`: the default (linear and conv
 * weights N(0, initializer_range)); CLS, mask token, position embeddings and bias tables 0; lambdas
 * `layer_scale_init_value`.
 */
function weights(c: BeitConfig): WeightSpec[] {
  const H = c.hiddenSize;
  const zeroed = ['embeddings.cls_token', 'embeddings.mask_token', 'embeddings.position_embeddings'];
  return weightsFromGraph((ctx) => buildGraph(ctx, c, 'pixel_values', {}), {
    std: c.initializerRange,
    init: (name) => {
      if (zeroed.includes(name) || name.endsWith('.relative_position_bias_table')) return { kind: 'zeros' };
      if (name.endsWith('.lambda_1') || name.endsWith('.lambda_2')) return { kind: 'constant', value: c.layerScaleInitValue };
      return undefined;
    },
    order: STATE_DICT_ORDER,
    unread: [
      ...(c.useMaskToken ? [{ name: 'embeddings.mask_token', shape: [1, 1, H] }] : []),
      // With mean pooling the final norm is Identity and the pooler holds a layer norm.
      ...(c.useMeanPooling ? [{ name: 'pooler.layernorm.weight', shape: [H] }, { name: 'pooler.layernorm.bias', shape: [H] }] : []),
    ],
  });
}

export const beitEncoder: EncoderPlugin<BeitConfig> = {
  modelType: 'beit',
  imageProcessors,
  defaultImageProcessor: 'BeitImageProcessor',
  parseConfig: parseBeitConfig,
  hiddenSize: (c) => c.hiddenSize,
  imageSize: (c) => c.imageSize,
  numChannels: (c) => c.numChannels,
  // `BeitPreTrainedModel._keys_to_ignore_on_load_unexpected`: the index buffers some checkpoints saved.
  unexpectedKeysToIgnore: ['.*relative_position_index.*'],
  weights,
  buildGraph,
};
