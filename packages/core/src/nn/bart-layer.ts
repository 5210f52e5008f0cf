/**
 * The decoder layer of BART (`BartDecoderLayer`: self-attention,
 * encoder-attention and feed-forward, each with `LayerNorm(x + f(x))`), which
 * TrOCR copies, and mBART's pre-LN variant (`x + f(LayerNorm(x))`). All norms
 * use torch's default eps 1e-5. Weight names are the checkpoint's
 * (`self_attn.q_proj`, `encoder_attn_layer_norm`, `fc1`, …).
 */
import type { DecoderStepIO } from '../contracts.js';
import { appendToCache, mergeHeads, scaledDotProductAttention, splitHeads } from './attention.js';
import type { BuildContext } from './context.js';
import { activation, layerNorm, linear } from './layers.js';

export interface BartLayerDims {
  dModel: number;
  decoderAttentionHeads: number;
  decoderFfnDim: number;
  activationFunction: string;
  /** mBART: normalise before each sublayer. */
  preLayerNorm: boolean;
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
  const residual = (norm: string, f: (h: string) => string) =>
    c.preLayerNorm ? g.op('Add', [x, f(layerNorm(ctx, x, norm, D, LN_EPS))]) : layerNorm(ctx, g.op('Add', [x, f(x)]), norm, D, LN_EPS);

  let keys = '';
  let values = '';
  x = residual('self_attn_layer_norm', (h) => {
    const sa = ctx.at('self_attn');
    keys = appendToCache(g, io.pastKeys[i]!, heads(linear(sa, h, 'k_proj', D, D)));
    values = appendToCache(g, io.pastValues[i]!, heads(linear(sa, h, 'v_proj', D, D)));
    const context = scaledDotProductAttention(g, heads(linear(sa, h, 'q_proj', D, D)), keys, values, { scale, mask });
    return linear(sa, mergeHeads(g, context, D), 'out_proj', D, D);
  });
  x = residual('encoder_attn_layer_norm', (h) => {
    const ca = ctx.at('encoder_attn');
    const context = scaledDotProductAttention(g, heads(linear(ca, h, 'q_proj', D, D)), io.crossKeys[i]!, io.crossValues[i]!, { scale });
    return linear(ca, mergeHeads(g, context, D), 'out_proj', D, D);
  });
  x = residual('final_layer_norm', (h) =>
    linear(ctx, activation(g, linear(ctx, h, 'fc1', D, c.decoderFfnDim), c.activationFunction, 'activation_function'), 'fc2', c.decoderFfnDim, D),
  );
  return { x, key: keys, value: values };
}
