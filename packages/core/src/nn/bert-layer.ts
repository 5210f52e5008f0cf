/**
 * The post-LN transformer layer of BERT (`BertLayer` as a decoder: causal
 * self-attention, cross-attention, feed-forward, each followed by
 * LayerNorm(x + sublayer)), which RoBERTa, XLM-RoBERTa and the other
 * BERT-family decoders copy verbatim in transformers. Weight names are the
 * checkpoint's (`attention.self.query`, `crossattention.output.LayerNorm`, …).
 */
import type { DecoderStepIO } from '../contracts.js';
import { appendToCache, crossAttention, mergeHeads, scaledDotProductAttention, splitHeads } from './attention.js';
import type { BuildContext } from './context.js';
import { dropout } from './dropout.js';
import { activation, layerNorm, linear } from './layers.js';

export interface BertLayerDims {
  hiddenSize: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  layerNormEps: number;
  /** Train-mode dropout: `hidden_dropout_prob` after each dense output, `attention_probs_dropout_prob` on the attention probabilities (default 0). */
  hiddenDropoutProb?: number;
  attentionProbsDropoutProb?: number;
  /** `add_cross_attention`: false builds the layer without `crossattention` (default true). */
  addCrossAttention?: boolean;
}

/** `BertAttention` (self or cross) followed by `BertSelfOutput`: LayerNorm(x + dense(context)). */
function attentionOutput(ctx: BuildContext, c: BertLayerDims, x: string, context: string): string {
  const H = c.hiddenSize;
  const out = dropout(ctx, linear(ctx, context, 'output.dense', H, H), c.hiddenDropoutProb ?? 0);
  return layerNorm(ctx, ctx.g.op('Add', [out, x]), 'output.LayerNorm', H, c.layerNormEps);
}

/** Layer `i` (ctx at `….encoder.layer.{i}`) of a decoder step; returns the new hidden states and cache. */
export function bertDecoderLayer(ctx: BuildContext, c: BertLayerDims, i: number, x: string, io: DecoderStepIO, mask: string) {
  const { g } = ctx;
  const H = c.hiddenSize;
  const d = H / c.numAttentionHeads;
  const scale = 1 / Math.sqrt(d);
  const heads = (t: string) => splitHeads(g, t, c.numAttentionHeads, d);
  const probsDropout = (probs: string) => dropout(ctx, probs, c.attentionProbsDropoutProb ?? 0);

  const sa = ctx.at('attention');
  const keys = appendToCache(g, io.pastKeys[i]!, heads(linear(sa, x, 'self.key', H, H)));
  const values = appendToCache(g, io.pastValues[i]!, heads(linear(sa, x, 'self.value', H, H)));
  const self = scaledDotProductAttention(g, heads(linear(sa, x, 'self.query', H, H)), keys, values, { scale, mask, dropout: probsDropout });
  x = attentionOutput(sa, c, x, mergeHeads(g, self, H));

  // Cross-attention: no mask (VisionEncoderDecoder never passes an encoder attention mask).
  if (c.addCrossAttention !== false) {
    const ca = ctx.at('crossattention');
    const q = linear(ca, x, 'self.query', H, H);
    const cross = crossAttention(g, q, io.crossKeys[i]!, io.crossValues[i]!, { heads: c.numAttentionHeads, headDim: d, scale, dropout: probsDropout, groups: io.crossGroups });
    x = attentionOutput(ca, c, x, cross);
  }

  const inner = activation(g, linear(ctx, x, 'intermediate.dense', H, c.intermediateSize), c.hiddenAct);
  const out = dropout(ctx, linear(ctx, inner, 'output.dense', c.intermediateSize, H), c.hiddenDropoutProb ?? 0);
  x = layerNorm(ctx, g.op('Add', [out, x]), 'output.LayerNorm', H, c.layerNormEps);
  return { x, key: keys, value: values };
}

/** Every layer's cross-attention keys/values from the encoder states (ctx at `….encoder`). */
export function bertCrossKeyValues(ctx: BuildContext, c: BertLayerDims & { numHiddenLayers: number }, encoderHidden: string) {
  const H = c.hiddenSize;
  const d = H / c.numAttentionHeads;
  const out: Array<{ key: string; value: string }> = [];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const ca = ctx.at(`layer.${i}.crossattention.self`);
    out.push({
      key: splitHeads(ctx.g, linear(ca, encoderHidden, 'key', H, H), c.numAttentionHeads, d),
      value: splitHeads(ctx.g, linear(ca, encoderHidden, 'value', H, H), c.numAttentionHeads, d),
    });
  }
  return out;
}
