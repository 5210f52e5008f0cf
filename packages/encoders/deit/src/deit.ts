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
  patchGrid,
  vitEmbeddings,
  vitLayer,
  type EncoderBuildOptions,
  type EncoderPlugin,
  type WeightSpec,
} from '@ved/core';
import { parseDeiTConfig, type DeiTConfig } from './config.js';

/** CLS and distillation tokens come before the patches. */
const SPECIAL_TOKENS = 2;

const numPatches = (c: DeiTConfig) => patchGrid(c)[0] * patchGrid(c)[1];

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
