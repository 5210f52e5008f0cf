/**
 * TrOCR's decoder (Li et al., 2021, https://arxiv.org/abs/2109.10282) as the
 * decoder of a VisionEncoderDecoder: `TrOCRForCausalLM`. Mirrors transformers'
 * `modeling_trocr.py`: `embed_tokens[ids] * (sqrt(d_model) if scale_embedding)`
 * plus learned positions (`past + arange(T)`, offset 2) or sinusoidal,
 * padding-aware ones; an optional `layernorm_embedding`; BART's post-LN layers
 * (eps 1e-5) whose `encoder_attn` keys/values are projected from
 * `cross_attention_hidden_size` (the encoder width, so no `enc_to_dec_proj` is
 * needed); the head `output_projection`, tied to `embed_tokens`, no bias.
 */
import {
  BuildContext,
  bartDecoderLayer,
  causalMask,
  dropout,
  dryStepIO,
  embeddingInit,
  isDryBuild,
  layerDrop,
  layerNorm,
  linear,
  lmHead,
  paddingAwarePositionIds,
  sequentialPositionIds,
  embeddingLookup,
  splitHeads,
  weightsFromGraph,
  type DecoderPlugin,
  type DecoderStepIO,
  type DecoderStepOutputs,
  type WeightSpec,
} from '@ved/core';
import { parseTrOCRConfig, type TrOCRConfig } from './config.js';
import { sinusoidalPositionEmbedding } from './sinusoidal.js';

/**
 * Where `TrOCRForCausalLM` checkpoints keep their tensors: the decoder under
 * `model.decoder.`, the head under `output_projection.`.
 */
export const TROCR_CAUSAL_LM_PREFIXES = { base: 'model.decoder.', head: 'output_projection.' } as const;

/** `nn.LayerNorm(d_model)` everywhere: torch's default eps. */
const LN_EPS = 1e-5;
/** TrOCRLearnedPositionalEmbedding looks positions up at `position + 2`. */
const POSITION_OFFSET = 2;

const headDim = (c: TrOCRConfig) => c.dModel / c.decoderAttentionHeads;
const crossWidth = (c: TrOCRConfig) => c.crossAttentionHiddenSize ?? c.dModel;

function positionEmbeddings(dec: BuildContext, c: TrOCRConfig, io: DecoderStepIO): string {
  const { g } = dec;
  if (c.useLearnedPositionEmbeddings) {
    const table = dec.weight('embed_positions.weight', [c.maxPositionEmbeddings + POSITION_OFFSET, c.dModel]);
    return g.op('Gather', [table, sequentialPositionIds(g, io.pastLength, io.queryLength, POSITION_OFFSET)]);
  }
  // The table is computed, not stored: a dry build (`weights`) skips it.
  if (isDryBuild(g)) return 'sinusoidal_positions';
  return sinusoidalPositionEmbedding(g, paddingAwarePositionIds(g, io.inputIds, c.padTokenId, io.pastLength), c.dModel, c.padTokenId);
}

function buildStep(ctx: BuildContext, c: TrOCRConfig, io: DecoderStepIO): DecoderStepOutputs {
  const { g } = ctx;
  const D = c.dModel;
  const dec = ctx.at('model.decoder');
  const tokens = dec.weight('embed_tokens.weight', [c.vocabSize, D]);
  let embedded = embeddingLookup(g, tokens, io.inputIds, c.padTokenId);
  if (c.scaleEmbedding) embedded = g.op('Mul', [embedded, g.constFloat(Math.sqrt(D))]);
  let x = g.op('Add', [embedded, positionEmbeddings(dec, c, io)]);
  if (c.layernormEmbedding) x = layerNorm(dec, x, 'layernorm_embedding', D, LN_EPS);
  x = dropout(dec, x, c.dropout);

  const mask = causalMask(g, io.pastLength, io.queryLength, io.attentionMask);
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  for (let i = 0; i < c.decoderLayers; i++) {
    const out = g.scope(`layer${i}`, () => bartDecoderLayer(dec.at(`layers.${i}`), { ...c, preLayerNorm: false }, i, x, io, mask));
    // LayerDrop (train mode): the layer is skipped with probability decoder_layerdrop.
    x = layerDrop(dec, x, out.x, c.decoderLayerdrop);
    presentKeys.push(out.key);
    presentValues.push(out.value);
  }

  // Tied head (transformers `modeling_utils.py`, `PreTrainedModel.tie_weights`): an explicit output_projection.weight in the checkpoint wins.
  const logits =
    ctx.has('output_projection.weight') || !c.tieWordEmbeddings
      ? lmHead(ctx, x, 'output_projection.weight', c.vocabSize, D)
      : lmHead(dec, x, 'embed_tokens.weight', c.vocabSize, D);
  return { logits, presentKeys, presentValues };
}

function buildCrossKeyValues(ctx: BuildContext, c: TrOCRConfig, encoderHidden: string) {
  const D = c.dModel;
  const W = crossWidth(c);
  const out: Array<{ key: string; value: string }> = [];
  for (let i = 0; i < c.decoderLayers; i++) {
    const ca = ctx.at(`model.decoder.layers.${i}.encoder_attn`);
    out.push({
      key: splitHeads(ctx.g, linear(ca, encoderHidden, 'k_proj', W, D), c.decoderAttentionHeads, headDim(c)),
      value: splitHeads(ctx.g, linear(ca, encoderHidden, 'v_proj', W, D), c.decoderAttentionHeads, headDim(c)),
    });
  }
  return out;
}

/**
 * Every weight of `TrOCRForCausalLM` (`output_projection` only when untied; the sinusoidal table
 * is computed, not stored), as the step graph reads it, initialised as `PreTrainedModel._init_weights`
 * does with `init_std` (`embed_tokens` with its padding row zeroed).
 */
function weights(c: TrOCRConfig): WeightSpec[] {
  const tokens = embeddingInit(c.initStd, c.padTokenId, c.dModel);
  return weightsFromGraph(
    (ctx) => {
      buildStep(ctx, c, dryStepIO(c.decoderLayers));
      buildCrossKeyValues(ctx, c, 'encoder_hidden_states');
    },
    {
      std: c.initStd,
      init: (name) => (name === 'model.decoder.embed_tokens.weight' ? tokens : undefined),
      // The order `TrOCRDecoderLayer` and `TrOCRAttention` register their parts in (k, v, q).
      order: ['self_attn', 'self_attn_layer_norm', 'encoder_attn', 'encoder_attn_layer_norm', 'fc1', 'fc2', 'final_layer_norm', 'k_proj', 'v_proj', 'q_proj', 'out_proj'],
    },
  );
}

export const trocrDecoder: DecoderPlugin<TrOCRConfig> = {
  modelType: 'trocr',
  parseConfig: parseTrOCRConfig,
  hiddenSize: (c) => c.dModel,
  vocabSize: (c) => c.vocabSize,
  crossAttentionInputSize: (c) => c.crossAttentionHiddenSize,
  cacheLayout: (c) => ({ layers: c.decoderLayers, heads: c.decoderAttentionHeads, headDim: headDim(c) }),
  // Learned: `max_position_embeddings + 2` rows read at `position + 2`. Sinusoidal: computed for any
  // position (Python's `TrOCRSinusoidalPositionalEmbedding` grows its table on demand), so no limit.
  maxPositions: (c) => (c.useLearnedPositionEmbeddings ? c.maxPositionEmbeddings : undefined),
  weights,
  buildCrossKeyValues,
  buildStep,
};
