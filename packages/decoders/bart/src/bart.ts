/**
 * BART's decoder (Lewis et al., 2019, https://arxiv.org/abs/1910.13461) and
 * mBART's (Liu et al., 2020, https://arxiv.org/abs/2001.08210) as the decoder
 * of a VisionEncoderDecoder: `BartForCausalLM` / `MBartForCausalLM`. Mirrors
 * transformers' `modeling_bart.py` / `modeling_mbart.py`:
 * `embed_tokens[ids] * (sqrt(d_model) if scale_embedding)` + learned positions
 * (`past + arange(T)`, looked up with offset 2) → `layernorm_embedding`; then
 * decoder layers (self-attention, `encoder_attn`, fc1/act/fc2) that are post-LN
 * in BART and pre-LN in mBART, which also ends with a final `layer_norm`. Every
 * LayerNorm has eps 1e-5. The head `lm_head` is tied to `embed_tokens`, no bias.
 */
import {
  BuildContext,
  bartDecoderLayer,
  causalMask,
  dropout,
  dryStepIO,
  embeddingInit,
  layerDrop,
  layerNorm,
  linear,
  lmHead,
  sequentialPositionIds,
  embeddingLookup,
  splitHeads,
  weightsFromGraph,
  type DecoderPlugin,
  type DecoderStepIO,
  type DecoderStepOutputs,
  type WeightSpec,
} from '@ved/core';
import { parseBartConfig, type BartConfig } from './config.js';

/**
 * Where `BartForCausalLM` / `MBartForCausalLM` checkpoints keep their tensors:
 * the decoder under `model.decoder.`, the head under `lm_head.` (a
 * `BartForConditionalGeneration` checkpoint keeps its decoder under
 * `model.decoder.` too, next to `model.encoder.` and `model.shared`).
 */
export const BART_CAUSAL_LM_PREFIXES = { base: 'model.decoder.', head: 'lm_head.' } as const;

/** `nn.LayerNorm(d_model)` everywhere in BART/mBART: torch's default eps. */
const LN_EPS = 1e-5;
/** BartLearnedPositionalEmbedding looks positions up at `position + 2`. */
const POSITION_OFFSET = 2;

type Variant = 'bart' | 'mbart';

const headDim = (c: BartConfig) => c.dModel / c.decoderAttentionHeads;

function buildStep(variant: Variant, ctx: BuildContext, c: BartConfig, io: DecoderStepIO): DecoderStepOutputs {
  const { g } = ctx;
  const D = c.dModel;
  const dec = ctx.at('model.decoder');
  const tokens = dec.weight('embed_tokens.weight', [c.vocabSize, D]);
  let embedded = embeddingLookup(g, tokens, io.inputIds, c.padTokenId);
  if (c.scaleEmbedding) embedded = g.op('Mul', [embedded, g.constFloat(Math.sqrt(D))]);
  const positions = sequentialPositionIds(g, io.pastLength, io.queryLength, POSITION_OFFSET);
  const table = dec.weight('embed_positions.weight', [c.maxPositionEmbeddings + POSITION_OFFSET, D]);
  let x = g.op('Add', [embedded, g.op('Gather', [table, positions])]);
  x = dropout(dec, layerNorm(dec, x, 'layernorm_embedding', D, LN_EPS), c.dropout);

  const mask = causalMask(g, io.pastLength, io.queryLength, io.attentionMask);
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  for (let i = 0; i < c.decoderLayers; i++) {
    const out = g.scope(`layer${i}`, () => bartDecoderLayer(dec.at(`layers.${i}`), { ...c, preLayerNorm: variant === 'mbart' }, i, x, io, mask));
    // LayerDrop (train mode): the layer is skipped with probability decoder_layerdrop.
    x = layerDrop(dec, x, out.x, c.decoderLayerdrop);
    presentKeys.push(out.key);
    presentValues.push(out.value);
  }
  if (variant === 'mbart') x = layerNorm(dec, x, 'layer_norm', D, LN_EPS);

  // Tied head (transformers `modeling_utils.py`, `PreTrainedModel.tie_weights`): an explicit lm_head.weight in the checkpoint wins.
  const logits =
    ctx.has('lm_head.weight') || !c.tieWordEmbeddings
      ? lmHead(ctx, x, 'lm_head.weight', c.vocabSize, D)
      : lmHead(dec, x, 'embed_tokens.weight', c.vocabSize, D);
  return { logits, presentKeys, presentValues };
}

function buildCrossKeyValues(ctx: BuildContext, c: BartConfig, encoderHidden: string) {
  const D = c.dModel;
  const out: Array<{ key: string; value: string }> = [];
  for (let i = 0; i < c.decoderLayers; i++) {
    const ca = ctx.at(`model.decoder.layers.${i}.encoder_attn`);
    out.push({
      key: splitHeads(ctx.g, linear(ca, encoderHidden, 'k_proj', D, D), c.decoderAttentionHeads, headDim(c)),
      value: splitHeads(ctx.g, linear(ca, encoderHidden, 'v_proj', D, D), c.decoderAttentionHeads, headDim(c)),
    });
  }
  return out;
}

/**
 * Every weight of `BartForCausalLM` / `MBartForCausalLM` (`lm_head` only when untied), as the step
 * graph reads it, initialised as `PreTrainedModel._init_weights` does with `init_std` (`embed_tokens`
 * with its padding row zeroed).
 */
function weights(variant: Variant, c: BartConfig): WeightSpec[] {
  const tokens = embeddingInit(c.initStd, c.padTokenId, c.dModel);
  return weightsFromGraph(
    (ctx) => {
      buildStep(variant, ctx, c, dryStepIO(c.decoderLayers));
      buildCrossKeyValues(ctx, c, 'encoder_hidden_states');
    },
    {
      std: c.initStd,
      init: (name) => (name === 'model.decoder.embed_tokens.weight' ? tokens : undefined),
      // The order `BartDecoderLayer` and `BartAttention` register their parts in.
      order: ['self_attn', 'self_attn_layer_norm', 'encoder_attn', 'encoder_attn_layer_norm', 'fc1', 'fc2', 'final_layer_norm', 'q_proj', 'k_proj', 'v_proj', 'out_proj'],
    },
  );
}

function bartPlugin(variant: Variant): DecoderPlugin<BartConfig> {
  return {
    modelType: variant,
    parseConfig: parseBartConfig,
    hiddenSize: (c) => c.dModel,
    vocabSize: (c) => c.vocabSize,
    cacheLayout: (c) => ({ layers: c.decoderLayers, heads: c.decoderAttentionHeads, headDim: headDim(c) }),
    // The table has `max_position_embeddings + 2` rows, read at `position + 2`.
    maxPositions: (c) => c.maxPositionEmbeddings,
    // `BartPreTrainedModel._keys_to_ignore_on_load_unexpected` (fairseq's version buffers); mBART has none.
    ...(variant === 'bart' ? { unexpectedKeysToIgnore: ['encoder.version', 'decoder.version'] } : {}),
    weights: (c) => weights(variant, c),
    buildCrossKeyValues,
    buildStep: (ctx, c, io) => buildStep(variant, ctx, c, io),
  };
}

/** `BartForCausalLM` (`model_type: "bart"`): post-LN layers. */
export const bartDecoder = bartPlugin('bart');
/** `MBartForCausalLM` (`model_type: "mbart"`): pre-LN layers and a final `layer_norm`. */
export const mbartDecoder = bartPlugin('mbart');
