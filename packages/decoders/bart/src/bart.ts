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
  embeddingInit,
  layerDrop,
  layerNorm,
  linear,
  lmHead,
  sequentialPositionIds,
  splitHeads,
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
  let embedded = g.op('Gather', [tokens, io.inputIds]);
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
 * Every weight of `BartForCausalLM` / `MBartForCausalLM`, initialised as
 * `PreTrainedModel._init_weights` does with `init_std`. `encoder_attn` always
 * exists in these decoder layers.
 */
function weights(variant: Variant, c: BartConfig): WeightSpec[] {
  const D = c.dModel;
  const normal = { kind: 'normal', std: c.initStd } as const;
  const zeros = { kind: 'zeros' } as const;
  const ones = { kind: 'ones' } as const;
  const lin = (name: string, inF: number, outF: number): WeightSpec[] => [
    { name: `${name}.weight`, shape: [outF, inF], init: normal },
    { name: `${name}.bias`, shape: [outF], init: zeros },
  ];
  const ln = (name: string): WeightSpec[] => [
    { name: `${name}.weight`, shape: [D], init: ones },
    { name: `${name}.bias`, shape: [D], init: zeros },
  ];
  const attention = (p: string): WeightSpec[] => [...lin(`${p}.q_proj`, D, D), ...lin(`${p}.k_proj`, D, D), ...lin(`${p}.v_proj`, D, D), ...lin(`${p}.out_proj`, D, D)];
  const m = 'model.decoder';
  const specs: WeightSpec[] = [
    { name: `${m}.embed_tokens.weight`, shape: [c.vocabSize, D], init: embeddingInit(c.initStd, c.padTokenId, D) },
    { name: `${m}.embed_positions.weight`, shape: [c.maxPositionEmbeddings + POSITION_OFFSET, D], init: normal },
    ...ln(`${m}.layernorm_embedding`),
  ];
  for (let i = 0; i < c.decoderLayers; i++) {
    const p = `${m}.layers.${i}`;
    specs.push(
      ...attention(`${p}.self_attn`),
      ...ln(`${p}.self_attn_layer_norm`),
      ...attention(`${p}.encoder_attn`),
      ...ln(`${p}.encoder_attn_layer_norm`),
      ...lin(`${p}.fc1`, D, c.decoderFfnDim),
      ...lin(`${p}.fc2`, c.decoderFfnDim, D),
      ...ln(`${p}.final_layer_norm`),
    );
  }
  if (variant === 'mbart') specs.push(...ln(`${m}.layer_norm`));
  // Tied: lm_head.weight is embed_tokens, not saved.
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, D], init: normal });
  return specs;
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
