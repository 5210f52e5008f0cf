/**
 * `SwinConfig` / `DonutSwinConfig` fields the encoder uses, with the defaults
 * of transformers' `configuration_swin.py` and `configuration_donut_swin.py`
 * (identical), and the stage layout they imply for the config's image size.
 */
import { ACTIVATIONS, ConfigReader, VedError, dropoutRate, type RawConfig } from '@ved/core';

/** `swin` ends with a layer norm; `donut-swin` does not. */
export type SwinVariant = 'swin' | 'donut-swin';

export interface SwinConfig {
  variant: SwinVariant;
  imageSize: [number, number];
  patchSize: [number, number];
  numChannels: number;
  embedDim: number;
  depths: number[];
  numHeads: number[];
  windowSize: number;
  mlpRatio: number;
  qkvBias: boolean;
  hiddenAct: string;
  useAbsoluteEmbeddings: boolean;
  initializerRange: number;
  layerNormEps: number;
  /** Train-mode dropout (transformers' defaults 0): after the embeddings and each sublayer, and on the attention probabilities. */
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  /** Stochastic depth of the attention branches: block i (over all stages) drops with `drop_path_rate * i / max(blocks - 1, 1)` (default 0.1). */
  dropPathRate: number;
}

/** One stage at the config's image size: its patch grid, width, and what its blocks do. */
export interface SwinStage {
  height: number;
  width: number;
  dim: number;
  heads: number;
  depth: number;
  /** Window of every block (the config's, see `stageLayout`). */
  window: number;
  /** Shift of each block: window // 2 on odd blocks, 0 when the grid is no larger than the window. */
  shifts: number[];
  /** Patch merging follows (every stage but the last). */
  downsample: boolean;
}

/** `embed_dim * 2**(len(depths) - 1)`: the width of the last stage, which the decoder attends to. */
export const swinHiddenSize = (c: SwinConfig) => c.embedDim * 2 ** (c.depths.length - 1);

/** The patch grid after zero-padding the image to patch multiples. */
export function patchGrid(c: SwinConfig): [number, number] {
  return [Math.ceil(c.imageSize[0] / c.patchSize[0]), Math.ceil(c.imageSize[1] / c.patchSize[1])];
}

/** `int(mlp_ratio * dim)`. */
export const mlpHidden = (c: SwinConfig, dim: number) => Math.trunc(c.mlpRatio * dim);

/**
 * The stages for the config's image size. A block whose grid has
 * `min(h, w) <= window_size` uses no shift (and a window of `min(h, w)`, which
 * transformers 5.18 can only run when it equals `window_size`: its bias table
 * stays sized for the config's window; `parseSwinConfig` rejects the rest).
 */
export function stageLayout(c: SwinConfig): SwinStage[] {
  let [h, w] = patchGrid(c);
  return c.depths.map((depth, i) => {
    const small = Math.min(h, w) <= c.windowSize;
    const stage: SwinStage = {
      height: h,
      width: w,
      dim: c.embedDim * 2 ** i,
      heads: c.numHeads[i]!,
      depth,
      window: small ? Math.min(h, w) : c.windowSize,
      shifts: Array.from({ length: depth }, (_, j) => (small || j % 2 === 0 ? 0 : Math.floor(c.windowSize / 2))),
      downsample: i < c.depths.length - 1,
    };
    h = Math.floor((h + 1) / 2);
    w = Math.floor((w + 1) / 2);
    return stage;
  });
}

export function parseSwinConfig(raw: RawConfig, where: string, variant: SwinVariant = 'swin'): SwinConfig {
  const r = new ConfigReader(raw, where);
  const config: SwinConfig = {
    variant,
    imageSize: r.intPair('image_size', [224, 224]),
    patchSize: r.intPair('patch_size', [4, 4]),
    numChannels: r.int('num_channels', 3, 1),
    embedDim: r.int('embed_dim', 96, 1),
    depths: r.intList('depths', [2, 2, 6, 2]),
    numHeads: r.intList('num_heads', [3, 6, 12, 24]),
    windowSize: r.int('window_size', 7, 1),
    mlpRatio: r.float('mlp_ratio', 4.0),
    qkvBias: r.bool('qkv_bias', true),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    useAbsoluteEmbeddings: r.bool('use_absolute_embeddings', false),
    initializerRange: r.float('initializer_range', 0.02),
    layerNormEps: r.float('layer_norm_eps', 1e-5),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', 0),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', 0),
    dropPathRate: dropoutRate(r, 'drop_path_rate', 0.1),
  };
  const fail = (msg: string): never => {
    throw new VedError('INVALID_CONFIG', `${where}: ${msg}`);
  };
  if (config.depths.length === 0 || config.depths.some((d) => d < 1)) fail(`field "depths" is ${JSON.stringify(config.depths)}; expected a non-empty list of positive integers.`);
  if (config.numHeads.length !== config.depths.length || config.numHeads.some((h) => h < 1)) {
    fail(`field "num_heads" is ${JSON.stringify(config.numHeads)}; expected one positive head count per stage of "depths" ${JSON.stringify(config.depths)}.`);
  }
  if (!(config.mlpRatio > 0)) fail(`field "mlp_ratio" is ${config.mlpRatio}; expected a positive number.`);
  config.numHeads.forEach((heads, i) => {
    const dim = config.embedDim * 2 ** i;
    if (dim % heads !== 0) fail(`stage ${i} has width ${dim} ("embed_dim" * 2**${i}), which "num_heads"[${i}] = ${heads} does not divide.`);
  });
  if (config.useAbsoluteEmbeddings) {
    if (variant === 'donut-swin') {
      // DonutSwinEmbeddings allocates N+1 position embeddings and adds them to N patches.
      fail('field "use_absolute_embeddings" is true, which transformers\' DonutSwin cannot run (it adds N+1 position embeddings to N patches); ved supports only false for donut-swin.');
    }
    const [ih, iw] = config.imageSize;
    const [ph, pw] = config.patchSize;
    if (ih % ph !== 0 || iw % pw !== 0) {
      fail(
        `field "use_absolute_embeddings" is true but "image_size" [${ih}, ${iw}] is not a multiple of "patch_size" [${ph}, ${pw}]; ` +
          'the padded image has more patches than position embeddings, which transformers cannot run either.',
      );
    }
  }
  for (const [i, stage] of stageLayout(config).entries()) {
    if (Math.min(stage.height, stage.width) < config.windowSize) {
      fail(
        `stage ${i} has a ${stage.height}x${stage.width} patch grid, smaller than "window_size" ${config.windowSize} for the ` +
          `"image_size" [${config.imageSize.join(', ')}]; transformers 5.18 shrinks the window to ${Math.min(stage.height, stage.width)} there ` +
          'but keeps the relative position bias of the full window, and fails. Use a larger "image_size", a smaller "window_size" or fewer stages.',
      );
    }
  }
  return config;
}
