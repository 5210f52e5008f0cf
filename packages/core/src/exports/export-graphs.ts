/**
 * ved's encoder and decoder as the graphs of the Optimum / transformers.js
 * layout (transformers.js `src/models/session_config.js`,
 * `src/utils/model-loader.js`), assembled from the same architecture
 * plugins as ved's own graphs (model/graphs.ts):
 *
 * - `encoder_model`: `pixel_values` → `last_hidden_state`;
 * - `decoder_model_merged`: `input_ids`, `encoder_hidden_states`, the cache
 *   and `use_cache_branch` → `logits` and `present.*`. `enc_to_dec_proj` sits
 *   in the decoder, because transformers.js feeds the encoder's
 *   `last_hidden_state` as `encoder_hidden_states`.
 *
 * Cache names follow what transformers.js 4.x derives from the decoder's
 * `model_type` (its `getNormalizedConfig`): decoder-only decoders (GPT-2 and
 * everything it does not list) take `past_key_values.{i}.key|value` for
 * self-attention and recompute cross-attention from `encoder_hidden_states`
 * each step; seq2seq-style decoders (BART, TrOCR, …) also take
 * `past_key_values.{i}.encoder.key|value`, and an If node on
 * `use_cache_branch` either computes them (first step) or passes them
 * through. Dimension names use `batch_size`, which transformers.js resolves
 * when it builds the empty first-step cache; head counts and sizes are fixed.
 */
import { BuildContext } from '../nn/context.js';
import { linear } from '../nn/layers.js';
import { GraphBuilder, type BuiltModel } from '../onnx/graph-builder.js';
import type { WeightBinder } from '../weights/weight-binder.js';
import type { Composition } from '../model/composition.js';
import type { IfBranches } from './graph-assembly.js';

export type CacheNaming = 'decoder-only' | 'seq2seq';

/** Decoder `model_type`s whose cache transformers.js names `.decoder.` / `.encoder.` (src/configs.js). */
export const SEQ2SEQ_CACHE_DECODERS: ReadonlySet<string> = new Set([
  'bart',
  'mbart',
  'marian',
  'm2m_100',
  'blenderbot',
  'blenderbot-small',
  'trocr',
]);

export function cacheNamingFor(decoderType: string): CacheNaming {
  return SEQ2SEQ_CACHE_DECODERS.has(decoderType) ? 'seq2seq' : 'decoder-only';
}

const BATCH = 'batch_size';

/** The names of one layer's cache tensors under `prefix` (`past_key_values` or `present`). */
export function cacheNames(prefix: string, layer: number, naming: CacheNaming) {
  return naming === 'seq2seq'
    ? {
        key: `${prefix}.${layer}.decoder.key`,
        value: `${prefix}.${layer}.decoder.value`,
        crossKey: `${prefix}.${layer}.encoder.key`,
        crossValue: `${prefix}.${layer}.encoder.value`,
      }
    : { key: `${prefix}.${layer}.key`, value: `${prefix}.${layer}.value` };
}

/**
 * A graph with its weights still beside it (and, for the seq2seq decoder, the
 * If node's branches still apart): `assembleModel` turns it into the final
 * file once it is known where the weights go.
 */
export interface BuiltGraph {
  main: BuiltModel;
  branches?: IfBranches;
}

export function buildExportEncoder(parts: Composition, weights: WeightBinder): BuiltGraph {
  const g = new GraphBuilder('encoder_model');
  const root = new BuildContext(g, weights, '');
  const [h, w] = parts.encoder.imageSize(parts.encoderConfig);
  const channels = parts.encoder.numChannels(parts.encoderConfig);
  const pixels = g.input('pixel_values', 'float32', [BATCH, channels, h, w]);
  const hidden = parts.encoder.buildGraph(root.at('encoder'), parts.encoderConfig, pixels, {});
  g.output('last_hidden_state', hidden, 'float32', [BATCH, 'encoder_sequence_length', parts.encoderHidden]);
  return { main: g.build() };
}

/** Cross-attention keys/values of every layer from `encoder_hidden_states` (after `enc_to_dec_proj`). */
function crossKeyValues(parts: Composition, root: BuildContext, hidden: string) {
  const states = parts.hasProjection ? linear(root, hidden, 'enc_to_dec_proj', parts.encoderHidden, parts.decoderHidden) : hidden;
  return parts.decoder.buildCrossKeyValues(root.at('decoder'), parts.decoderConfig, states);
}

export function buildExportDecoder(parts: Composition, weights: WeightBinder, naming: CacheNaming): BuiltGraph {
  const { layers, heads, headDim } = parts.decoder.cacheLayout(parts.decoderConfig);
  const vocab = parts.decoder.vocabSize(parts.decoderConfig);
  const g = new GraphBuilder('decoder_model_merged');
  const root = new BuildContext(g, weights, '');

  const inputIds = g.input('input_ids', 'int64', [BATCH, 'decoder_sequence_length']);
  const hidden = g.input('encoder_hidden_states', 'float32', [BATCH, 'encoder_sequence_length', parts.encoderHidden]);
  const selfDims = [BATCH, heads, 'past_decoder_sequence_length', headDim];
  const crossDims = [BATCH, heads, 'encoder_sequence_length_out', headDim];
  const past = Array.from({ length: layers }, (_, i) => cacheNames('past_key_values', i, naming));
  const present = Array.from({ length: layers }, (_, i) => cacheNames('present', i, naming));
  const pastKeys: string[] = [];
  const pastValues: string[] = [];
  for (const p of past) {
    pastKeys.push(g.input(p.key, 'float32', selfDims));
    pastValues.push(g.input(p.value, 'float32', selfDims));
    if (p.crossKey !== undefined) {
      g.input(p.crossKey, 'float32', crossDims);
      g.input(p.crossValue, 'float32', crossDims);
    }
  }
  const useCache = g.input('use_cache_branch', 'bool', [1]);

  let crossKeys: string[];
  let crossValues: string[];
  let branches: IfBranches | undefined;
  if (naming === 'seq2seq' && layers > 0) {
    // If(use_cache_branch): then → the cached cross keys/values; else → computed from encoder_hidden_states.
    const outs = g.opMulti('If', [useCache], {}, { outputs: 2 * layers, names: present.flatMap((p) => [`${p.crossKey!}_branch`, `${p.crossValue!}_branch`]) });
    crossKeys = outs.filter((_, j) => j % 2 === 0);
    crossValues = outs.filter((_, j) => j % 2 === 1);
    branches = {
      firstOutput: outs[0]!,
      then: branchGraph('with_past', (t) => past.forEach((p, i) => outputCross(t, i, p.crossKey!, p.crossValue!, heads, headDim))),
      else: branchGraph('no_past', (e) => {
        const cross = crossKeyValues(parts, new BuildContext(e, weights, ''), hidden);
        cross.forEach(({ key, value }, i) => outputCross(e, i, key, value, heads, headDim));
      }),
    };
  } else {
    const cross = g.scope('cross', () => crossKeyValues(parts, root, hidden));
    crossKeys = cross.map((c) => c.key);
    crossValues = cross.map((c) => c.value);
  }

  const queryLength = g.op('Gather', [g.op('Shape', [inputIds]), g.constInt(1, [])], { axis: 0 });
  const pastLength = layers > 0 ? g.op('Gather', [g.op('Shape', [pastKeys[0]!]), g.constInt(2, [])], { axis: 0 }) : g.constInt(0, []);
  const out = parts.decoder.buildStep(root.at('decoder'), parts.decoderConfig, { inputIds, pastLength, queryLength, pastKeys, pastValues, crossKeys, crossValues });

  g.output('logits', out.logits, 'float32', [BATCH, 'decoder_sequence_length', vocab]);
  const totalDims = [BATCH, heads, 'total_sequence_length', headDim];
  present.forEach((p, i) => {
    g.output(p.key, out.presentKeys[i]!, 'float32', totalDims);
    g.output(p.value, out.presentValues[i]!, 'float32', totalDims);
    if (p.crossKey !== undefined) {
      g.output(p.crossKey, crossKeys[i]!, 'float32', crossDims);
      g.output(p.crossValue, crossValues[i]!, 'float32', crossDims);
    }
  });
  return { main: g.build(), ...(branches !== undefined ? { branches } : {}) };
}

/** A subgraph (no inputs; it reads outer-scope values by name), built with its own builder. */
function branchGraph(name: string, build: (g: GraphBuilder) => void): BuiltModel {
  const g = new GraphBuilder(name);
  g.scope(name, () => build(g));
  return g.build();
}

function outputCross(g: GraphBuilder, layer: number, key: string, value: string, heads: number, headDim: number): void {
  const dims = [BATCH, heads, 'encoder_sequence_length_out', headDim];
  g.output(`${g.name}.cross.${layer}.key`, key, 'float32', dims);
  g.output(`${g.name}.cross.${layer}.value`, value, 'float32', dims);
}
