/**
 * The two graphs of a composed model (DESIGN.md "How a model runs"):
 *
 * - encoder: `pixel_values` → `last_hidden_state` and, through the decoder's
 *   cross-attention projections (after `enc_to_dec_proj`), every decoder
 *   layer's cross keys/values, computed once per image;
 * - decoder step: `input_ids` + self-attention cache + cross keys/values →
 *   `logits` and the updated cache. With an empty cache and all positions it
 *   is the teacher-forced graph.
 */
import { GraphBuilder, type BuiltModel, type WeightSpill } from '../onnx/graph-builder.js';
import { BuildContext, type BuildLayout, type WeightDtype } from '../nn/context.js';
import { linear } from '../nn/layers.js';
import { providePerRowPastLength } from '../nn/embeddings.js';
import type { WeightBinder } from '../weights/weight-binder.js';
import type { EncoderBuildOptions } from '../contracts.js';
import type { CrossGroups } from '../nn/attention.js';
import type { Composition } from './composition.js';

export const ENCODER_PREFIX = 'encoder';
export const DECODER_PREFIX = 'decoder';

export const crossKeyName = (i: number) => `cross.${i}.key`;
export const crossValueName = (i: number) => `cross.${i}.value`;
export const pastKeyName = (i: number) => `past_key_values.${i}.key`;
export const pastValueName = (i: number) => `past_key_values.${i}.value`;
export const presentKeyName = (i: number) => `present.${i}.key`;
export const presentValueName = (i: number) => `present.${i}.value`;
export const CACHE_INDEX = 'cache_index';
export const LOG_PROBS = 'log_probs';
/** int64 [B]: each row's own cached length, when the decoder's positions come from core's helpers (see `providePerRowPastLength`). */
export const PAST_LENGTHS = 'past_lengths';

export function buildEncoderGraph(
  parts: Composition,
  weights: WeightBinder,
  options: EncoderBuildOptions = {},
  dtype: WeightDtype = 'fp32',
  spill?: WeightSpill,
  layout: BuildLayout = {},
): BuiltModel {
  const g = new GraphBuilder('ved_encoder', spill);
  const root = new BuildContext(g, weights, '', dtype, undefined, layout);
  const [h, w] = parts.encoder.imageSize(parts.encoderConfig);
  const channels = parts.encoder.numChannels(parts.encoderConfig);
  const dims = options.interpolatePosEncoding ? ['batch', channels, 'height', 'width'] : ['batch', channels, h, w];
  const pixels = g.input('pixel_values', 'float32', dims);
  const hidden = parts.encoder.buildGraph(root.at(ENCODER_PREFIX), parts.encoderConfig, pixels, options);
  g.output('last_hidden_state', hidden, 'float32', ['batch', 'encoder_sequence', parts.encoderHidden]);
  let states = hidden;
  if (parts.hasProjection) states = linear(root, hidden, 'enc_to_dec_proj', parts.encoderHidden, parts.decoderHidden);
  const cross = g.scope('cross', () => parts.decoder.buildCrossKeyValues(root.at(DECODER_PREFIX), parts.decoderConfig, states));
  const { heads, headDim } = parts.decoder.cacheLayout(parts.decoderConfig);
  cross.forEach(({ key, value }, i) => {
    g.output(crossKeyName(i), key, 'float32', ['batch', heads, 'encoder_sequence', headDim]);
    g.output(crossValueName(i), value, 'float32', ['batch', heads, 'encoder_sequence', headDim]);
  });
  return g.build();
}

/** The decoder step graph, and whether its rows may share cross keys/values (see `CrossGroups`). */
export interface DecoderStepGraph extends BuiltModel {
  /** Every layer's cross-attention went through `crossAttention`: the cross inputs may hold one row per group of rows. */
  sharedCross: boolean;
}

export function buildDecoderGraph(parts: Composition, weights: WeightBinder, dtype: WeightDtype = 'fp32', spill?: WeightSpill, layout: BuildLayout = {}): DecoderStepGraph {
  const g = new GraphBuilder('ved_decoder_step', spill);
  const root = new BuildContext(g, weights, '', dtype, undefined, { ownHeadWeights: true, ...layout });
  const { layers, heads, headDim } = parts.decoder.cacheLayout(parts.decoderConfig);
  const vocab = parts.decoder.vocabSize(parts.decoderConfig);
  const inputIds = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'total_sequence']);
  // Row r of this step continues cached row cache_index[r]: beam search reorders the cache
  // inside the step (Gather feeding the Concat that appends the new keys), not in JavaScript.
  const cacheIndex = g.input(CACHE_INDEX, 'int64', ['batch']);
  const crossDims = ['cross_batch', heads, 'encoder_sequence', headDim];
  const pastKeys: string[] = [];
  const pastValues: string[] = [];
  const crossKeys: string[] = [];
  const crossValues: string[] = [];
  const cacheDimsIn = ['cache_batch', heads, 'past_sequence', headDim];
  for (let i = 0; i < layers; i++) {
    pastKeys.push(g.op('Gather', [g.input(pastKeyName(i), 'float32', cacheDimsIn), cacheIndex], { axis: 0 }));
    pastValues.push(g.op('Gather', [g.input(pastValueName(i), 'float32', cacheDimsIn), cacheIndex], { axis: 0 }));
    crossKeys.push(g.input(crossKeyName(i), 'float32', crossDims));
    crossValues.push(g.input(crossValueName(i), 'float32', crossDims));
  }
  // P = total - T, from the mask, so decoders without layers work too.
  const queryLength = g.op('Gather', [g.op('Shape', [inputIds]), g.constInt(1, [])], { axis: 0 });
  const total = g.op('Gather', [g.op('Shape', [attentionMask]), g.constInt(1, [])], { axis: 0 });
  const pastLength = g.op('Sub', [total, queryLength]);
  // Rows of different lengths in one step (continuous batching): created only if the decoder's positions ask for it.
  let perRow: string | undefined;
  providePerRowPastLength(g, pastLength, () => (perRow ??= g.op('Unsqueeze', [g.input(PAST_LENGTHS, 'int64', ['batch']), g.constInt([1])])));
  // Built on first use: a decoder that attends its own way leaves no trace of them.
  let groupShapes: { split: string; merge: string } | undefined;
  let groupedLayers = 0;
  const crossGroups: CrossGroups = {
    heads,
    headDim,
    shapes() {
      groupedLayers++;
      return (groupShapes ??= g.scope('cross_groups', () => ({
        split: g.op('Concat', [g.op('Slice', [g.op('Shape', [crossKeys[0]!]), g.constInt([0]), g.constInt([1])]), g.constInt([-1, heads, headDim])], { axis: 0 }),
        merge: g.op('Concat', [g.op('Shape', [inputIds]), g.constInt([heads * headDim])], { axis: 0 }),
      })));
    },
  };
  const out = parts.decoder.buildStep(root.at(DECODER_PREFIX), parts.decoderConfig, {
    inputIds,
    pastLength,
    queryLength,
    pastKeys,
    pastValues,
    crossKeys,
    crossValues,
    crossGroups,
    attentionMask,
  });
  g.output('logits', out.logits, 'float32', ['batch', 'sequence', vocab]);
  // Beam search's log_softmax, vectorised by onnxruntime; computed only when fetched.
  g.output(LOG_PROBS, g.op('LogSoftmax', [out.logits], { axis: -1 }), 'float32', ['batch', 'sequence', vocab]);
  const presentDims = ['batch', heads, 'total_sequence', headDim];
  for (let i = 0; i < layers; i++) {
    g.output(presentKeyName(i), out.presentKeys[i]!, 'float32', presentDims);
    g.output(presentValueName(i), out.presentValues[i]!, 'float32', presentDims);
  }
  if (groupedLayers !== 0 && groupedLayers !== layers) {
    // A plugin's bug, not the user's input.
    throw new Error(`The ${parts.decoder.modelType} decoder plugin attended through crossAttention in ${groupedLayers} of its ${layers} layers; it must in all or none.`);
  }
  return { ...g.build(), sharedCross: layers > 0 && groupedLayers === layers };
}
