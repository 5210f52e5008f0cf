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
  layerNorm,
  vitEmbeddings,
  vitLayer,
  weightsFromGraph,
  type EncoderBuildOptions,
  type EncoderPlugin,
  type WeightSpec,
} from '@ved/core';
import { parseDeiTConfig, type DeiTConfig } from './config.js';
import { imageProcessors } from './image-processors.js';

/** The order `DeiTEmbeddings` and `DeiTLayer` register their parts in. */
const STATE_DICT_ORDER = [
  'cls_token', 'distillation_token', 'position_embeddings', 'patch_embeddings',
  'attention', 'query', 'key', 'value', 'intermediate', 'output', 'layernorm_before', 'layernorm_after',
];

function buildGraph(ctx: BuildContext, c: DeiTConfig, pixelValues: string, options: EncoderBuildOptions): string {
  const interpolate = options.interpolatePosEncoding === true;
  const dims = { ...c, modelType: 'deit' };
  // CLS and distillation tokens come before the patches.
  const special = ['cls_token', 'distillation_token'];
  let x = ctx.g.scope('embeddings', () => vitEmbeddings(ctx.at('embeddings'), dims, pixelValues, special, interpolate));
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const lctx = ctx.at(`encoder.layer.${i}`);
    x = ctx.g.scope(`layer${i}`, () => vitLayer(lctx, c, x));
  }
  return layerNorm(ctx, x, 'layernorm', c.hiddenSize, c.layerNormEps);
}

/**
 * The weights the graph reads, plus `DeiTModel`'s pooler (dense + tanh on CLS: unused by
 * VisionEncoderDecoder, but part of the checkpoint). `DeiTPreTrainedModel._init_weights`: the
 * default (linear and conv weights N(0, initializer_range)); the CLS and distillation tokens and
 * the position embeddings end up zero (the trunc_normal_ draw is overwritten by `zeros_`).
 */
function weights(c: DeiTConfig): WeightSpec[] {
  const zeroed = ['embeddings.cls_token', 'embeddings.distillation_token', 'embeddings.position_embeddings'];
  return weightsFromGraph((ctx) => buildGraph(ctx, c, 'pixel_values', {}), {
    std: c.initializerRange,
    init: (name) => (zeroed.includes(name) ? { kind: 'zeros' } : undefined),
    order: STATE_DICT_ORDER,
    unread: [
      { name: 'pooler.dense.weight', shape: [c.poolerOutputSize, c.hiddenSize] },
      { name: 'pooler.dense.bias', shape: [c.poolerOutputSize] },
    ],
  });
}

export const deitEncoder: EncoderPlugin<DeiTConfig> = {
  modelType: 'deit',
  imageProcessors,
  defaultImageProcessor: 'DeiTImageProcessor',
  parseConfig: parseDeiTConfig,
  hiddenSize: (c) => c.hiddenSize,
  imageSize: (c) => c.imageSize,
  numChannels: (c) => c.numChannels,
  weights,
  buildGraph,
};
