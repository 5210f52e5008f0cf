/**
 * RoBERTa (Liu et al., 2019, https://arxiv.org/abs/1907.11692) and
 * XLM-RoBERTa (Conneau et al., 2020, https://arxiv.org/abs/1911.02116) as the
 * decoder of a VisionEncoderDecoder: `RobertaForCausalLM` /
 * `XLMRobertaForCausalLM`. Mirrors transformers' `modeling_roberta.py`: the
 * BERT layer (post-LN, causal self-attention, cross-attention), but
 * padding-aware positions (fairseq's `make_positions`: real tokens count from
 * `pad + 1`, pad tokens sit at `pad`) and the `lm_head` (dense → GELU, hard-coded
 * → layer_norm → decoder tied to the word embeddings + bias).
 */
import {
  BuildContext,
  bertCrossKeyValues,
  bertDecoderLayer,
  VedError,
  activation,
  causalMask,
  dropout,
  embeddingInit,
  layerNorm,
  linear,
  lmHead,
  paddingAwarePositionIds,
  type DecoderPlugin,
  type DecoderStepIO,
  type DecoderStepOutputs,
  type WeightSpec,
} from '@ved/core';
import { parseRobertaConfig, type RobertaConfig } from './config.js';

/**
 * Where `RobertaForCausalLM` / `XLMRobertaForCausalLM` checkpoints keep their
 * tensors: the base model under `roberta.`, the head under `lm_head.`.
 */
export const ROBERTA_CAUSAL_LM_PREFIXES = { base: 'roberta.', head: 'lm_head.' } as const;

const headDim = (c: RobertaConfig) => c.hiddenSize / c.numAttentionHeads;

function requireCrossAttention(modelType: string, c: RobertaConfig): void {
  if (!c.isDecoder || !c.addCrossAttention) {
    throw new VedError(
      'INVALID_CONFIG',
      `The ${modelType} decoder config has "is_decoder": ${c.isDecoder}, "add_cross_attention": ${c.addCrossAttention}; ` +
        'as the decoder of a VisionEncoderDecoder both must be true (causal self-attention and cross-attention to the image).',
    );
  }
}

function buildStep(modelType: string, ctx: BuildContext, c: RobertaConfig, io: DecoderStepIO): DecoderStepOutputs {
  requireCrossAttention(modelType, c);
  const { g } = ctx;
  const H = c.hiddenSize;
  const roberta = ctx.at('roberta');
  const emb = roberta.at('embeddings');
  const words = emb.weight('word_embeddings.weight', [c.vocabSize, H]);
  const positions = paddingAwarePositionIds(g, io.inputIds, c.padTokenId, io.pastLength);
  // token_type_ids come from the all-zero buffer: every position adds row 0.
  const tokenType = g.op('Gather', [emb.weight('token_type_embeddings.weight', [c.typeVocabSize, H]), g.constInt(0, [])]);
  let x = g.op('Add', [
    g.op('Add', [g.op('Gather', [words, io.inputIds]), tokenType]),
    g.op('Gather', [emb.weight('position_embeddings.weight', [c.maxPositionEmbeddings, H]), positions]),
  ]);
  x = dropout(emb, layerNorm(emb, x, 'LayerNorm', H, c.layerNormEps), c.hiddenDropoutProb);

  const mask = causalMask(g, io.pastLength, io.queryLength, io.attentionMask);
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const out = g.scope(`layer${i}`, () => bertDecoderLayer(roberta.at(`encoder.layer.${i}`), c, i, x, io, mask));
    x = out.x;
    presentKeys.push(out.key);
    presentValues.push(out.value);
  }

  // RobertaLMHead: the activation is GELU whatever `hidden_act` says.
  const lm = ctx.at('lm_head');
  x = activation(g, linear(lm, x, 'dense', H, H), 'gelu');
  x = layerNorm(lm, x, 'layer_norm', H, c.layerNormEps);
  // Tied head (transformers `modeling_utils.py`, `PreTrainedModel.tie_weights`): an explicit decoder weight/bias in the checkpoint wins.
  const bias = lm.has('decoder.bias') ? lm.weight('decoder.bias', [c.vocabSize]) : lm.weight('bias', [c.vocabSize]);
  const logits =
    lm.has('decoder.weight') || !c.tieWordEmbeddings
      ? lmHead(lm, x, 'decoder.weight', c.vocabSize, H, bias)
      : lmHead(emb, x, 'word_embeddings.weight', c.vocabSize, H, bias);
  return { logits, presentKeys, presentValues };
}

function buildCrossKeyValues(modelType: string, ctx: BuildContext, c: RobertaConfig, encoderHidden: string) {
  requireCrossAttention(modelType, c);
  return bertCrossKeyValues(ctx.at('roberta.encoder'), c, encoderHidden);
}

/** Every weight of `RobertaForCausalLM`, initialised as `RobertaPreTrainedModel._init_weights` does. */
function weights(c: RobertaConfig): WeightSpec[] {
  const H = c.hiddenSize;
  const normal = { kind: 'normal', std: c.initializerRange } as const;
  const zeros = { kind: 'zeros' } as const;
  const ones = { kind: 'ones' } as const;
  const lin = (name: string, inF: number, outF: number): WeightSpec[] => [
    { name: `${name}.weight`, shape: [outF, inF], init: normal },
    { name: `${name}.bias`, shape: [outF], init: zeros },
  ];
  const ln = (name: string): WeightSpec[] => [
    { name: `${name}.weight`, shape: [H], init: ones },
    { name: `${name}.bias`, shape: [H], init: zeros },
  ];
  const attention = (p: string): WeightSpec[] => [
    ...lin(`${p}.self.query`, H, H),
    ...lin(`${p}.self.key`, H, H),
    ...lin(`${p}.self.value`, H, H),
    ...lin(`${p}.output.dense`, H, H),
    ...ln(`${p}.output.LayerNorm`),
  ];
  const e = 'roberta.embeddings';
  const padded = embeddingInit(c.initializerRange, c.padTokenId, H);
  const specs: WeightSpec[] = [
    { name: `${e}.word_embeddings.weight`, shape: [c.vocabSize, H], init: padded },
    { name: `${e}.position_embeddings.weight`, shape: [c.maxPositionEmbeddings, H], init: padded },
    { name: `${e}.token_type_embeddings.weight`, shape: [c.typeVocabSize, H], init: normal },
    ...ln(`${e}.LayerNorm`),
  ];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = `roberta.encoder.layer.${i}`;
    specs.push(...attention(`${p}.attention`));
    if (c.addCrossAttention) specs.push(...attention(`${p}.crossattention`));
    specs.push(...lin(`${p}.intermediate.dense`, H, c.intermediateSize), ...lin(`${p}.output.dense`, c.intermediateSize, H), ...ln(`${p}.output.LayerNorm`));
  }
  specs.push(...lin('lm_head.dense', H, H), ...ln('lm_head.layer_norm'), { name: 'lm_head.bias', shape: [c.vocabSize], init: zeros });
  // Tied: lm_head.decoder.{weight,bias} are word_embeddings and lm_head.bias, not saved.
  if (!c.tieWordEmbeddings) specs.push(...lin('lm_head.decoder', H, c.vocabSize));
  return specs;
}

function robertaPlugin(modelType: string, defaultVocabSize: number): DecoderPlugin<RobertaConfig> {
  return {
    modelType,
    parseConfig: (raw, where) => parseRobertaConfig(raw, where, defaultVocabSize),
    hiddenSize: (c) => c.hiddenSize,
    vocabSize: (c) => c.vocabSize,
    cacheLayout: (c) => ({ layers: c.numHiddenLayers, heads: c.numAttentionHeads, headDim: headDim(c) }),
    // Positions count from `pad_token_id + 1` (fairseq), so the rows up to the padding row are never reached.
    maxPositions: (c) => c.maxPositionEmbeddings - c.padTokenId - 1,
    // A model with a `position_ids` buffer ignores saved ones (`_adjust_missing_and_unexpected_keys`).
    unexpectedKeysToIgnore: ['(^|\\.)position_ids$'],
    basePrefix: ROBERTA_CAUSAL_LM_PREFIXES.base,
    tiedWeights: (): Record<string, string> => ({
      'lm_head.decoder.weight': 'roberta.embeddings.word_embeddings.weight',
      'lm_head.decoder.bias': 'lm_head.bias',
    }),
    weights,
    buildCrossKeyValues: (ctx, c, encoderHidden) => buildCrossKeyValues(modelType, ctx, c, encoderHidden),
    buildStep: (ctx, c, io) => buildStep(modelType, ctx, c, io),
  };
}

/** `RobertaForCausalLM` (`model_type: "roberta"`). */
export const robertaDecoder = robertaPlugin('roberta', 50265);
/** `XLMRobertaForCausalLM` (`model_type: "xlm-roberta"`): the same network, a different config default. */
export const xlmRobertaDecoder = robertaPlugin('xlm-roberta', 30522);
