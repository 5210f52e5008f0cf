/**
 * ViT (Dosovitskiy et al., "An Image is Worth 16x16 Words", arXiv:2010.11929)
 * as `VisionEncoderDecoderModel` uses it: `ViTModel` without the pooler.
 * Mirrors transformers' `modeling_vit.py`; weight names are the checkpoint's.
 */
import {
  BuildContext,
  layerNorm,
  patchGrid,
  vitEmbeddings,
  vitLayer,
  type EncoderBuildOptions,
  type EncoderPlugin,
  type WeightSpec,
} from '@ved/core';
import { parseViTConfig, type ViTConfig } from './config.js';

const numPatches = (c: ViTConfig) => patchGrid(c)[0] * patchGrid(c)[1];

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
