/**
 * GPT-2 (Radford et al., 2019) as the decoder of a VisionEncoderDecoder:
 * `GPT2LMHeadModel` with cross-attention. Mirrors transformers'
 * `modeling_gpt2.py`: Conv1D weights stored [in, out], pre-LN blocks, learned
 * positions (not padding-aware), and a head tied to `wte`.
 */
import {
  BuildContext,
  activation,
  appendToCache,
  causalMask,
  conv1d,
  dropout,
  layerNorm,
  lmHead,
  mergeHeads,
  scaledDotProductAttention,
  sequentialPositionIds,
  splitHeads,
  type DecoderPlugin,
  type DecoderStepIO,
  type DecoderStepOutputs,
  type WeightSpec,
} from '@ved/core';
import { parseGPT2Config, type GPT2Config } from './config.js';

const headDim = (c: GPT2Config) => c.nEmbd / c.nHead;

/** GPT2Attention's scale: head_dim^-0.5, also divided by (layer_idx + 1) when configured. */
function attentionScale(c: GPT2Config, layerIdx: number): number {
  let scale = c.scaleAttnWeights ? 1 / Math.sqrt(headDim(c)) : 1;
  if (c.scaleAttnByInverseLayerIdx) scale /= layerIdx + 1;
  return scale;
}

function block(ctx: BuildContext, c: GPT2Config, i: number, x: string, io: DecoderStepIO, mask: string) {
  const { g } = ctx;
  const H = c.nEmbd;
  const d = headDim(c);
  const scale = attentionScale(c, i);
  // Train mode: attn_pdrop on the attention probabilities, resid_pdrop on each residual branch.
  const probsDropout = (probs: string) => dropout(ctx, probs, c.attnPdrop);
  const resid = (branch: string) => dropout(ctx, branch, c.residPdrop);

  // Self-attention: c_attn's output columns are [q | k | v].
  const a = layerNorm(ctx, x, 'ln_1', H, c.layerNormEpsilon);
  const [q, k, v] = g.opMulti('Split', [conv1d(ctx, a, 'attn.c_attn', H, 3 * H), g.constInt([H, H, H])], { axis: -1 }, { outputs: 3 });
  const keys = appendToCache(g, io.pastKeys[i]!, splitHeads(g, k!, c.nHead, d));
  const values = appendToCache(g, io.pastValues[i]!, splitHeads(g, v!, c.nHead, d));
  const self = scaledDotProductAttention(g, splitHeads(g, q!, c.nHead, d), keys, values, { scale, mask, dropout: probsDropout });
  x = g.op('Add', [x, resid(conv1d(ctx, mergeHeads(g, self, H), 'attn.c_proj', H, H))]);

  // Cross-attention over the encoder's keys/values (computed once per image).
  const b = layerNorm(ctx, x, 'ln_cross_attn', H, c.layerNormEpsilon);
  const cq = splitHeads(g, conv1d(ctx, b, 'crossattention.q_attn', H, H), c.nHead, d);
  const cross = scaledDotProductAttention(g, cq, io.crossKeys[i]!, io.crossValues[i]!, { scale, dropout: probsDropout });
  x = g.op('Add', [x, resid(conv1d(ctx, mergeHeads(g, cross, H), 'crossattention.c_proj', H, H))]);

  const m = layerNorm(ctx, x, 'ln_2', H, c.layerNormEpsilon);
  const hidden = activation(g, conv1d(ctx, m, 'mlp.c_fc', H, c.nInner), c.activationFunction, 'activation_function');
  x = g.op('Add', [x, resid(conv1d(ctx, hidden, 'mlp.c_proj', c.nInner, H))]);
  return { x, key: keys, value: values };
}

function buildStep(ctx: BuildContext, c: GPT2Config, io: DecoderStepIO): DecoderStepOutputs {
  const { g } = ctx;
  const t = ctx.at('transformer');
  const wte = t.weight('wte.weight', [c.vocabSize, c.nEmbd]);
  const positions = sequentialPositionIds(g, io.pastLength, io.queryLength);
  let x = g.op('Add', [
    g.op('Gather', [wte, io.inputIds]),
    g.op('Gather', [t.weight('wpe.weight', [c.nPositions, c.nEmbd]), positions]),
  ]);
  x = dropout(ctx, x, c.embdPdrop);
  const mask = causalMask(g, io.pastLength, io.queryLength, io.attentionMask);
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const out = g.scope(`h${i}`, () => block(t.at(`h.${i}`), c, i, x, io, mask));
    x = out.x;
    presentKeys.push(out.key);
    presentValues.push(out.value);
  }
  x = layerNorm(t, x, 'ln_f', c.nEmbd, c.layerNormEpsilon);
  // Tied head: an explicit lm_head.weight wins when the checkpoint has one (transformers `modeling_utils.py`, `PreTrainedModel.tie_weights`).
  const explicitHead = ctx.has('lm_head.weight') || !c.tieWordEmbeddings;
  const logits = explicitHead ? lmHead(ctx, x, 'lm_head.weight', c.vocabSize, c.nEmbd) : lmHead(t, x, 'wte.weight', c.vocabSize, c.nEmbd);
  return { logits, presentKeys, presentValues };
}

function buildCrossKeyValues(ctx: BuildContext, c: GPT2Config, encoderHidden: string) {
  const { g } = ctx;
  const H = c.nEmbd;
  const out: Array<{ key: string; value: string }> = [];
  for (let i = 0; i < c.nLayer; i++) {
    const l = ctx.at(`transformer.h.${i}`);
    const kv = conv1d(l, encoderHidden, 'crossattention.c_attn', H, 2 * H);
    const [k, v] = g.opMulti('Split', [kv, g.constInt([H, H])], { axis: -1 }, { outputs: 2 });
    out.push({ key: splitHeads(g, k!, c.nHead, headDim(c)), value: splitHeads(g, v!, c.nHead, headDim(c)) });
  }
  return out;
}

function weights(c: GPT2Config): WeightSpec[] {
  const H = c.nEmbd;
  const normal = { kind: 'normal', std: c.initializerRange } as const;
  // GPT-2 scales residual projections: c_proj ~ N(0, initializer_range / sqrt(2 * n_layer)).
  const scaled = { kind: 'normal', std: c.initializerRange / Math.sqrt(2 * c.nLayer) } as const;
  const zeros = { kind: 'zeros' } as const;
  const ones = { kind: 'ones' } as const;
  const conv = (name: string, inp: number, out: number, init: WeightSpec['init'] = normal): WeightSpec[] => [
    { name: `${name}.weight`, shape: [inp, out], init },
    { name: `${name}.bias`, shape: [out], init: zeros },
  ];
  const ln = (name: string): WeightSpec[] => [
    { name: `${name}.weight`, shape: [H], init: ones },
    { name: `${name}.bias`, shape: [H], init: zeros },
  ];
  const specs: WeightSpec[] = [
    { name: 'transformer.wte.weight', shape: [c.vocabSize, H], init: normal },
    { name: 'transformer.wpe.weight', shape: [c.nPositions, H], init: normal },
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `transformer.h.${i}`;
    specs.push(
      ...ln(`${p}.ln_1`),
      ...conv(`${p}.attn.c_attn`, H, 3 * H),
      ...conv(`${p}.attn.c_proj`, H, H, scaled),
      ...ln(`${p}.ln_2`),
      ...conv(`${p}.mlp.c_fc`, H, c.nInner),
      ...conv(`${p}.mlp.c_proj`, c.nInner, H, scaled),
    );
    if (c.addCrossAttention) {
      specs.push(
        ...ln(`${p}.ln_cross_attn`),
        ...conv(`${p}.crossattention.c_attn`, H, 2 * H),
        ...conv(`${p}.crossattention.q_attn`, H, H),
        ...conv(`${p}.crossattention.c_proj`, H, H, scaled),
      );
    }
  }
  specs.push(...ln('transformer.ln_f'));
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, H], init: normal });
  return specs;
}

export const gpt2Decoder: DecoderPlugin<GPT2Config> = {
  modelType: 'gpt2',
  parseConfig: parseGPT2Config,
  hiddenSize: (c) => c.nEmbd,
  vocabSize: (c) => c.vocabSize,
  cacheLayout: (c) => ({ layers: c.nLayer, heads: c.nHead, headDim: headDim(c) }),
  // `wpe` has `n_positions` rows, looked up at 0..T-1.
  maxPositions: (c) => c.nPositions,
  // `GPT2PreTrainedModel._keys_to_ignore_on_load_unexpected` (old checkpoints saved the causal-mask buffers).
  unexpectedKeysToIgnore: ['attn.bias', 'crossattention.bias'],
  basePrefix: 'transformer.',
  tiedWeights: (c): Record<string, string> => (c.tieWordEmbeddings ? { 'lm_head.weight': 'transformer.wte.weight' } : {}),
  weights,
  buildCrossKeyValues,
  buildStep,
};
