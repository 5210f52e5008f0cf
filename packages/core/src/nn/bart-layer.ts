/**
 * The decoder layer of BART (`BartDecoderLayer`: self-attention,
 * encoder-attention and feed-forward, each with `LayerNorm(x + f(x))`), which
 * TrOCR copies, and mBART's pre-LN variant (`x + f(LayerNorm(x))`). All norms
 * use torch's default eps 1e-5. Weight names are the checkpoint's
 * (`self_attn.q_proj`, `encoder_attn_layer_norm`, `fc1`, …).
 */
import type { DecoderStepIO } from '../contracts.js';
import { appendToCache, crossAttention, mergeHeads, scaledDotProductAttention, splitHeads } from './attention.js';
import type { BuildContext } from './context.js';
import { dropout } from './dropout.js';
import { activation, layerNorm, linear } from './layers.js';

export interface BartLayerDims {
  dModel: number;
  decoderAttentionHeads: number;
  decoderFfnDim: number;
  activationFunction: string;
  /** mBART: normalise before each sublayer. */
  preLayerNorm: boolean;
  /** Train-mode dropout (default 0): `dropout` after each sublayer, `attention_dropout` on the attention probabilities, `activation_dropout` after the activation. */
  dropout?: number;
  attentionDropout?: number;
  activationDropout?: number;
}

const LN_EPS = 1e-5;

/** Layer `i` (ctx at `model.decoder.layers.{i}`) of a decoder step. */
export function bartDecoderLayer(ctx: BuildContext, c: BartLayerDims, i: number, x: string, io: DecoderStepIO, mask: string) {
  const { g } = ctx;
  const D = c.dModel;
  const d = D / c.decoderAttentionHeads;
  // BartAttention scales q before q·k; the same product up to rounding.
  const scale = 1 / Math.sqrt(d);
  const heads = (t: string) => splitHeads(g, t, c.decoderAttentionHeads, d);
  // Each sublayer's output goes through `dropout` before the residual sum.
  const sub = (f: (h: string) => string) => (h: string) => dropout(ctx, f(h), c.dropout ?? 0);
  const residual = (norm: string, f0: (h: string) => string) => {
    const f = sub(f0);
    return c.preLayerNorm ? g.op('Add', [x, f(layerNorm(ctx, x, norm, D, LN_EPS))]) : layerNorm(ctx, g.op('Add', [x, f(x)]), norm, D, LN_EPS);
  };
  const probsDropout = (probs: string) => dropout(ctx, probs, c.attentionDropout ?? 0);

  let keys = '';
  let values = '';
  x = residual('self_attn_layer_norm', (h) => {
    const sa = ctx.at('self_attn');
    keys = appendToCache(g, io.pastKeys[i]!, heads(linear(sa, h, 'k_proj', D, D)));
    values = appendToCache(g, io.pastValues[i]!, heads(linear(sa, h, 'v_proj', D, D)));
    const context = scaledDotProductAttention(g, heads(linear(sa, h, 'q_proj', D, D)), keys, values, { scale, mask, dropout: probsDropout });
    return linear(sa, mergeHeads(g, context, D), 'out_proj', D, D);
  });
  x = residual('encoder_attn_layer_norm', (h) => {
    const ca = ctx.at('encoder_attn');
    const q = linear(ca, h, 'q_proj', D, D);
    const context = crossAttention(g, q, io.crossKeys[i]!, io.crossValues[i]!, { heads: c.decoderAttentionHeads, headDim: d, scale, dropout: probsDropout, groups: io.crossGroups });
    return linear(ca, context, 'out_proj', D, D);
  });
  x = residual('final_layer_norm', (h) => {
    const act = activation(g, linear(ctx, h, 'fc1', D, c.decoderFfnDim), c.activationFunction, 'activation_function');
    return linear(ctx, dropout(ctx, act, c.activationDropout ?? 0), 'fc2', c.decoderFfnDim, D);
  });
  return { x, key: keys, value: values };
}
