/**
 * Swin Transformer (Liu et al., "Swin Transformer: Hierarchical Vision
 * Transformer using Shifted Windows", arXiv:2103.14030) as
 * `VisionEncoderDecoderModel` uses it: `SwinModel`, and Donut's `DonutSwinModel`
 * (Kim et al., arXiv:2111.15664), which is the same network without the final
 * layer norm. Mirrors transformers' `modeling_swin.py` / `modeling_donut_swin.py`;
 * weight names are the checkpoint's (legacy names, as `save_pretrained` writes them).
 *
 * The graph is built for the config's `image_size`: every padding, window count
 * and shift mask is known when it is built (the Donut processor always pads
 * to that size).
 */
import {
  BuildContext,
  VedError,
  activation,
  dropPath,
  dropout,
  isDryBuild,
  layerNorm,
  linear,
  mergeHeads,
  splitHeads,
  weightsFromGraph,
  type EncoderBuildOptions,
  type EncoderPlugin,
  type GraphBuilder,
  type PersistentBuffer,
  type WeightSpec,
} from '@ved/core';
import { mlpHidden, parseSwinConfig, patchGrid, stageLayout, swinHiddenSize, type SwinConfig, type SwinStage, type SwinVariant } from './config.js';
import { imageProcessors } from './image-processors.js';

/** transformers' patch embedding and patch merging layer norms use the nn.LayerNorm default, whatever `layer_norm_eps` says. */
const FIXED_EPS = 1e-5;

/** Relative position index of a `ws` x `ws` window: `(dy + ws-1) * (2ws-1) + dx + ws-1`, row-major, [ws², ws²]. */
export function relativePositionIndex(ws: number): number[] {
  const out: number[] = [];
  for (let a = 0; a < ws * ws; a++) {
    for (let b = 0; b < ws * ws; b++) {
      const dy = Math.floor(a / ws) - Math.floor(b / ws);
      const dx = (a % ws) - (b % ws);
      out.push((dy + ws - 1) * (2 * ws - 1) + dx + ws - 1);
    }
  }
  return out;
}

/**
 * Region ids of the shifted-window mask (`SwinLayer.get_attn_mask`), per window
 * and position in it: [nW * ws²]. On the padded grid each axis has regions
 * `[0, L-ws)`, `[L-ws, L-shift)`, `[L-shift, L)`; the id is `3*h_region + w_region`.
 */
export function shiftRegions(height: number, width: number, ws: number, shift: number): number[] {
  const region = (i: number, len: number) => (i >= len - ws ? 1 : 0) + (i >= len - shift ? 1 : 0);
  const out: number[] = [];
  for (let wy = 0; wy < height / ws; wy++) {
    for (let wx = 0; wx < width / ws; wx++) {
      for (let y = 0; y < ws; y++) {
        for (let x = 0; x < ws; x++) out.push(3 * region(wy * ws + y, height) + region(wx * ws + x, width));
      }
    }
  }
  return out;
}

/** Constants shared by the blocks of one graph (relative position indices, shift masks), by key; not made in a dry build. */
const shared = new WeakMap<GraphBuilder, Map<string, string>>();
function once(g: GraphBuilder, key: string, make: () => string): string {
  if (isDryBuild(g)) return key;
  let table = shared.get(g);
  if (table === undefined) shared.set(g, (table = new Map()));
  let value = table.get(key);
  if (value === undefined) table.set(key, (value = make()));
  return value;
}

/** `torch.roll(x, shift, dim=axis)` for a static axis length. */
function roll(g: GraphBuilder, x: string, shift: number, axis: number, length: number): string {
  const s = ((shift % length) + length) % length;
  if (s === 0) return x;
  const slice = (from: number, to: number) => g.op('Slice', [x, g.constInt([from]), g.constInt([to]), g.constInt([axis])]);
  return g.op('Concat', [slice(length - s, length), slice(0, length - s)], { axis });
}

/** Window attention with relative position bias (and the shift mask): `attention.self` + `attention.output`. */
function windowAttention(ctx: BuildContext, c: SwinConfig, st: SwinStage, windows: string, numWindows: number, mask: string | undefined): string {
  const { g } = ctx;
  const C = st.dim;
  const T = st.window * st.window;
  const headDim = C / st.heads;
  const proj = (name: string) => splitHeads(g, linear(ctx, windows, `attention.self.${name}`, C, C, c.qkvBias), st.heads, headDim);
  const kt = g.op('Transpose', [proj('key')], { perm: [0, 1, 3, 2] });
  let scores = g.op('Mul', [g.op('MatMul', [proj('query'), kt]), g.constFloat(1 / Math.sqrt(headDim))]);
  const table = ctx.weight('attention.self.relative_position_bias_table', [(2 * c.windowSize - 1) ** 2, st.heads]);
  const index = once(g, `index/${st.window}`, () => g.constInt(relativePositionIndex(st.window), [T, T]));
  const bias = g.op('Gather', [table, index], { axis: 0 }); // [T, T, heads]
  scores = g.op('Add', [scores, g.op('Transpose', [bias], { perm: [2, 0, 1] })]);
  if (mask !== undefined) {
    // [B*nW, heads, T, T] → [B, nW, heads, T, T] + mask [nW, 1, T, T] → back.
    const perImage = g.op('Reshape', [scores, g.constInt([-1, numWindows, st.heads, T, T])]);
    scores = g.op('Reshape', [g.op('Add', [perImage, mask]), g.constInt([-1, st.heads, T, T])]);
  }
  const probs = dropout(ctx, g.op('Softmax', [scores], { axis: -1 }), c.attentionProbsDropoutProb);
  const attn = g.op('MatMul', [probs, proj('value')]);
  // The attention output's dropout: SwinLayer's hidden_dropout_prob, DonutSwinSelfOutput's attention_probs_dropout_prob.
  const outputDropout = c.variant === 'swin' ? c.hiddenDropoutProb : c.attentionProbsDropoutProb;
  return dropout(ctx, linear(ctx, mergeHeads(g, attn, C), 'attention.output.dense', C, C), outputDropout);
}

/** The additive shift mask [nW, 1, T, T] (0 within a region, -100 across), built from the region ids. */
function shiftMask(g: GraphBuilder, hp: number, wp: number, ws: number, shift: number): string {
  const T = ws * ws;
  const numWindows = (hp / ws) * (wp / ws);
  const regions = g.constFloat(shiftRegions(hp, wp, ws, shift), [numWindows, T]);
  const same = g.op('Equal', [g.op('Unsqueeze', [regions, g.constInt([1])]), g.op('Unsqueeze', [regions, g.constInt([2])])]);
  return g.op('Unsqueeze', [g.op('Where', [same, g.constFloat(0), g.constFloat(-100)]), g.constInt([1])]);
}

/** `encoder.layers.{i}.blocks.{j}`: (shifted) window attention and MLP, pre-LN, on a static h x w grid. */
function block(ctx: BuildContext, c: SwinConfig, st: SwinStage, shift: number, x: string, dropPathRate: number): string {
  const { g } = ctx;
  const { height: h, width: w, dim: C, window: ws } = st;
  const hp = Math.ceil(h / ws) * ws;
  const wp = Math.ceil(w / ws) * ws;
  let y = g.op('Reshape', [layerNorm(ctx, x, 'layernorm_before', C, c.layerNormEps), g.constInt([-1, h, w, C])]);
  // Padding comes after the norm: the pad tokens are zero vectors that take part in attention.
  if (hp !== h || wp !== w) y = g.op('Pad', [y, g.constInt([0, 0, 0, 0, 0, hp - h, wp - w, 0])]);
  y = roll(g, roll(g, y, -shift, 1, hp), -shift, 2, wp);
  const windows = g.op('Reshape', [
    g.op('Transpose', [g.op('Reshape', [y, g.constInt([-1, hp / ws, ws, wp / ws, ws, C])])], { perm: [0, 1, 3, 2, 4, 5] }),
    g.constInt([-1, ws * ws, C]),
  ]);
  const numWindows = (hp / ws) * (wp / ws);
  const mask = shift > 0 ? once(g, `mask/${hp}x${wp}/${ws}/${shift}`, () => shiftMask(g, hp, wp, ws, shift)) : undefined;
  const attn = windowAttention(ctx, c, st, windows, numWindows, mask);
  let z = g.op('Reshape', [
    g.op('Transpose', [g.op('Reshape', [attn, g.constInt([-1, hp / ws, wp / ws, ws, ws, C])])], { perm: [0, 1, 3, 2, 4, 5] }),
    g.constInt([-1, hp, wp, C]),
  ]);
  z = roll(g, roll(g, z, shift, 1, hp), shift, 2, wp);
  if (hp !== h || wp !== w) z = g.op('Slice', [z, g.constInt([0, 0]), g.constInt([h, w]), g.constInt([1, 2])]);
  // Train mode: stochastic depth on the attention branch only (transformers applies none to the MLP branch).
  const x1 = g.op('Add', [x, dropPath(ctx, g.op('Reshape', [z, g.constInt([-1, h * w, C])]), dropPathRate, 3)]);
  const m = layerNorm(ctx, x1, 'layernorm_after', C, c.layerNormEps);
  const I = mlpHidden(c, C);
  const mlp = linear(ctx, activation(g, linear(ctx, m, 'intermediate.dense', C, I), c.hiddenAct), 'output.dense', I, C);
  return g.op('Add', [x1, dropout(ctx, mlp, c.hiddenDropoutProb)]);
}

/**
 * `downsample` (patch merging): zero-pad to even sides, concatenate each 2x2
 * neighbourhood as `[x(0,0), x(1,0), x(0,1), x(1,1)]` (row, col), layer norm,
 * linear 4C → 2C without bias.
 */
function patchMerging(ctx: BuildContext, st: SwinStage, x: string): string {
  const { g } = ctx;
  const { height: h, width: w, dim: C } = st;
  const h2 = Math.ceil(h / 2);
  const w2 = Math.ceil(w / 2);
  let y = g.op('Reshape', [x, g.constInt([-1, h, w, C])]);
  if (h % 2 === 1 || w % 2 === 1) y = g.op('Pad', [y, g.constInt([0, 0, 0, 0, 0, h % 2, w % 2, 0])]);
  // [B, h2, row, w2, col, C] → [B, h2, w2, col, row, C]: channel blocks in the order (col, row).
  const merged = g.op('Reshape', [
    g.op('Transpose', [g.op('Reshape', [y, g.constInt([-1, h2, 2, w2, 2, C])])], { perm: [0, 1, 3, 4, 2, 5] }),
    g.constInt([-1, h2 * w2, 4 * C]),
  ]);
  return linear(ctx, layerNorm(ctx, merged, 'norm', 4 * C, FIXED_EPS), 'reduction', 4 * C, 2 * C, false);
}

/** `embeddings`: zero-pad to patch multiples, patch projection, layer norm, optional absolute positions. */
function embeddings(ctx: BuildContext, c: SwinConfig, pixelValues: string): string {
  const { g } = ctx;
  const C = c.embedDim;
  const [ph, pw] = c.patchSize;
  const [ih, iw] = c.imageSize;
  const [gh, gw] = patchGrid(c);
  let pixels = pixelValues;
  if (gh * ph !== ih || gw * pw !== iw) pixels = g.op('Pad', [pixels, g.constInt([0, 0, 0, 0, 0, 0, gh * ph - ih, gw * pw - iw])]);
  const conv = g.op(
    'Conv',
    [pixels, ctx.weight('patch_embeddings.projection.weight', [C, c.numChannels, ph, pw]), ctx.weight('patch_embeddings.projection.bias', [C])],
    { kernel_shape: [ph, pw], strides: [ph, pw] },
  );
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.constInt([0, C, -1])])], { perm: [0, 2, 1] });
  const x = layerNorm(ctx, patches, 'norm', C, FIXED_EPS);
  return dropout(ctx, c.useAbsoluteEmbeddings ? g.op('Add', [x, ctx.weight('position_embeddings', [1, gh * gw, C])]) : x, c.hiddenDropoutProb);
}

function buildGraph(ctx: BuildContext, c: SwinConfig, pixelValues: string, options: EncoderBuildOptions): string {
  if (options.interpolatePosEncoding === true) {
    throw new VedError(
      'INVALID_OPTION',
      `interpolatePosEncoding is not supported for ${c.variant}: its graph is built for the config's "image_size" ` +
        `[${c.imageSize.join(', ')}] (padding, windows and shift masks are fixed when it is built); resize or pad images to that size.`,
    );
  }
  const { g } = ctx;
  let x = g.scope('embeddings', () => embeddings(ctx.at('embeddings'), c, pixelValues));
  // Stochastic depth grows linearly over all blocks: drop_path_rate * k / max(blocks - 1, 1) for block k.
  const blocks = c.depths.reduce((a, b) => a + b, 0);
  let k = 0;
  stageLayout(c).forEach((st, i) => {
    st.shifts.forEach((shift, j) => {
      const dropPathRate = (c.dropPathRate * k++) / Math.max(blocks - 1, 1);
      x = g.scope(`stage${i}/block${j}`, () => block(ctx.at(`encoder.layers.${i}.blocks.${j}`), c, st, shift, x, dropPathRate));
    });
    if (st.downsample) x = g.scope(`stage${i}/downsample`, () => patchMerging(ctx.at(`encoder.layers.${i}.downsample`), st, x));
  });
  return c.variant === 'swin' ? layerNorm(ctx, x, 'layernorm', swinHiddenSize(c), c.layerNormEps) : x;
}

/**
 * The weights the graph reads. `SwinPreTrainedModel._init_weights` / `DonutSwinPreTrainedModel._init_weights`:
 * the default (linear and conv weights N(0, initializer_range)), position embeddings and relative
 * position bias tables 0. (DonutSwin checkpoints also hold each block's int64 `relative_position_index`
 * buffer, which is not a weight: see `persistentBuffers`.)
 */
function weights(c: SwinConfig): WeightSpec[] {
  return weightsFromGraph((ctx) => buildGraph(ctx, c, 'pixel_values', {}), {
    std: c.initializerRange,
    init: (name) => (name === 'embeddings.position_embeddings' || name.endsWith('.relative_position_bias_table') ? { kind: 'zeros' } : undefined),
    // `SwinSelfAttention` registers query, key, value; `SwinPatchMerging` reduction before norm.
    order: ['query', 'key', 'value', 'reduction'],
  });
}

/**
 * DonutSwin's persistent buffers, as `DonutSwinSelfAttention.__init__` registers them: each block's
 * `relative_position_index` for the config's `window_size` (a stage whose grid is smaller shrinks its
 * window in the forward pass, not in the buffer). Written by a save so that Python loads it without
 * reporting them missing; Swin's are not persistent.
 */
function persistentBuffers(c: SwinConfig): PersistentBuffer[] {
  const ws = c.windowSize;
  const data = BigInt64Array.from(relativePositionIndex(ws), BigInt);
  return c.depths.flatMap((depth, i) =>
    Array.from({ length: depth }, (_, j) => ({ name: `encoder.layers.${i}.blocks.${j}.attention.self.relative_position_index`, dtype: 'I64' as const, shape: [ws * ws, ws * ws], data })),
  );
}

function plugin(variant: SwinVariant): EncoderPlugin<SwinConfig> {
  return {
    modelType: variant,
    // IMAGE_PROCESSOR_MAPPING_NAMES: swin → ViTImageProcessor (from @ved/encoder-vit), donut-swin → DonutImageProcessor.
    ...(variant === 'donut-swin'
      ? { imageProcessors, defaultImageProcessor: 'DonutImageProcessor', prompt: { prependStartToken: 'never' } as const }
      : { defaultImageProcessor: 'ViTImageProcessor' }),
    parseConfig: (raw, where) => parseSwinConfig(raw, where, variant),
    hiddenSize: swinHiddenSize,
    imageSize: (c) => c.imageSize,
    numChannels: (c) => c.numChannels,
    // Swin: `_keys_to_ignore_on_load_unexpected` (its index buffers are no longer saved); DonutSwin keeps
    // `relative_position_index` as a persistent buffer, which a checkpoint holds, ved recomputes and a save writes.
    unexpectedKeysToIgnore: ['attention\\.self\\.relative_position_index', 'attention\\.relative_position_bias\\.relative_position_index'],
    ...(variant === 'donut-swin' ? { persistentBuffers } : {}),
    weights,
    buildGraph,
  };
}

/** `model_type: "swin"` (`SwinModel`). */
export const swinEncoder = plugin('swin');
/** `model_type: "donut-swin"` (`DonutSwinModel`: Swin without the final layer norm). */
export const donutSwinEncoder = plugin('donut-swin');
