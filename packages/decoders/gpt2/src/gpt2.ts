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
  crossAttention,
  conv1d,
  dropout,
  dryStepIO,
  layerNorm,
  lmHead,
  mergeHeads,
  scaledDotProductAttention,
  sequentialPositionIds,
  splitHeads,
  weightsFromGraph,
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

/** Block `i`; without `cross` (a config without `add_cross_attention`, listed for its weights only) no cross-attention. */
function block(ctx: BuildContext, c: GPT2Config, i: number, x: string, io: DecoderStepIO, mask: string, cross: boolean) {
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
  if (cross) {
    const b = layerNorm(ctx, x, 'ln_cross_attn', H, c.layerNormEpsilon);
    const q = conv1d(ctx, b, 'crossattention.q_attn', H, H);
    const attended = crossAttention(g, q, io.crossKeys[i]!, io.crossValues[i]!, { heads: c.nHead, headDim: d, scale, dropout: probsDropout, groups: io.crossGroups });
    x = g.op('Add', [x, resid(conv1d(ctx, attended, 'crossattention.c_proj', H, H))]);
  }

  const m = layerNorm(ctx, x, 'ln_2', H, c.layerNormEpsilon);
  const hidden = activation(g, conv1d(ctx, m, 'mlp.c_fc', H, c.nInner), c.activationFunction, 'activation_function');
  x = g.op('Add', [x, resid(conv1d(ctx, hidden, 'mlp.c_proj', c.nInner, H))]);
  return { x, key: keys, value: values };
}

function buildStep(ctx: BuildContext, c: GPT2Config, io: DecoderStepIO, cross = true): DecoderStepOutputs {
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
    const out = g.scope(`h${i}`, () => block(t.at(`h.${i}`), c, i, x, io, mask, cross));
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

/**
 * Every weight of `GPT2LMHeadModel` (cross-attention only with `add_cross_attention`, `lm_head`
 * only when untied), as the step graph reads it. `GPT2PreTrainedModel._init_weights`: the default
 * with `initializer_range`, and residual projections `c_proj` ~ N(0, initializer_range / sqrt(2 * n_layer)).
 */
function weights(c: GPT2Config): WeightSpec[] {
  const scaled = { kind: 'normal', std: c.initializerRange / Math.sqrt(2 * c.nLayer) } as const;
  return weightsFromGraph(
    (ctx) => {
      buildStep(ctx, c, dryStepIO(c.nLayer), c.addCrossAttention);
      if (c.addCrossAttention) buildCrossKeyValues(ctx, c, 'encoder_hidden_states');
    },
    {
      std: c.initializerRange,
      init: (name) => (name.endsWith('.c_proj.weight') ? scaled : undefined),
      // `GPT2Block` registers ln_1, attn, ln_2, mlp, then ln_cross_attn and crossattention.
      order: ['ln_1', 'attn', 'ln_2', 'mlp', 'ln_cross_attn', 'crossattention', 'c_attn', 'q_attn', 'c_fc', 'c_proj'],
    },
  );
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
