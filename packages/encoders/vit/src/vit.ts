/**
 * ViT (Dosovitskiy et al., "An Image is Worth 16x16 Words", arXiv:2010.11929)
 * as `VisionEncoderDecoderModel` uses it: `ViTModel` without the pooler.
 * Mirrors transformers' `modeling_vit.py`; weight names are the checkpoint's.
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
import { parseViTConfig, type ViTConfig } from './config.js';
import { imageProcessors } from './image-processors.js';

/** The order `ViTEmbeddings` and `ViTLayer` register their parts in. */
const STATE_DICT_ORDER = ['cls_token', 'position_embeddings', 'patch_embeddings', 'attention', 'query', 'key', 'value', 'intermediate', 'output', 'layernorm_before', 'layernorm_after'];

function buildGraph(ctx: BuildContext, c: ViTConfig, pixelValues: string, options: EncoderBuildOptions): string {
  const interpolate = options.interpolatePosEncoding === true;
  const dims = { ...c, modelType: 'vit' };
  let x = ctx.g.scope('embeddings', () => vitEmbeddings(ctx.at('embeddings'), dims, pixelValues, ['cls_token'], interpolate));
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const lctx = ctx.at(`encoder.layer.${i}`);
    x = ctx.g.scope(`layer${i}`, () => vitLayer(lctx, c, x));
  }
  return layerNorm(ctx, x, 'layernorm', c.hiddenSize, c.layerNormEps);
}

/**
 * The weights the graph reads, plus `ViTModel`'s pooler (dense + tanh on CLS: unused by
 * VisionEncoderDecoder, but part of the checkpoint). `ViTPreTrainedModel._init_weights` (5.18):
 * linear and conv weights N(0, initializer_range), the CLS token and position embeddings trunc_normal_.
 */
function weights(c: ViTConfig): WeightSpec[] {
  const trunc = { kind: 'truncNormal', std: c.initializerRange } as const;
  return weightsFromGraph((ctx) => buildGraph(ctx, c, 'pixel_values', {}), {
    std: c.initializerRange,
    init: (name) => (name === 'embeddings.cls_token' || name === 'embeddings.position_embeddings' ? trunc : undefined),
    order: STATE_DICT_ORDER,
    unread: [
      { name: 'pooler.dense.weight', shape: [c.poolerOutputSize, c.hiddenSize] },
      { name: 'pooler.dense.bias', shape: [c.poolerOutputSize] },
    ],
  });
}

export const vitEncoder: EncoderPlugin<ViTConfig> = {
  modelType: 'vit',
  imageProcessors,
  defaultImageProcessor: 'ViTImageProcessor',
  parseConfig: parseViTConfig,
  hiddenSize: (c) => c.hiddenSize,
  imageSize: (c) => c.imageSize,
  numChannels: (c) => c.numChannels,
  weights,
  buildGraph,
};
