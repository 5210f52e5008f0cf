/**
 * BERT (Devlin et al., 2019, https://arxiv.org/abs/1810.04805) as the decoder
 * of a VisionEncoderDecoder: `BertLMHeadModel` with `is_decoder` and
 * `add_cross_attention`. Mirrors transformers' `modeling_bert.py`: embeddings
 * (word + token type 0 + absolute position) → LayerNorm; post-LN layers
 * (causal self-attention, cross-attention, feed-forward, each
 * `LayerNorm(x + dense(...))`); the prediction head (transform dense →
 * `hidden_act` → LayerNorm → decoder tied to the word embeddings + bias).
 * Cross-attention keys/values are `Linear(hidden, hidden)` of the encoder
 * states, so these must already have the decoder's width (`enc_to_dec_proj`).
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
  sequentialPositionIds,
  type DecoderPlugin,
  type DecoderStepIO,
  type DecoderStepOutputs,
  type WeightSpec,
} from '@ved/core';
import { parseBertConfig, type BertConfig } from './config.js';

/**
 * Where `BertLMHeadModel` checkpoints keep their tensors: the base model under
 * `bert.`, the prediction head under `cls.` (a plain `BertModel` checkpoint
 * has the base model's names without the prefix).
 */
export const BERT_CAUSAL_LM_PREFIXES = { base: 'bert.', head: 'cls.' } as const;

const headDim = (c: BertConfig) => c.hiddenSize / c.numAttentionHeads;

function requireCrossAttention(c: BertConfig): void {
  if (!c.isDecoder || !c.addCrossAttention) {
    throw new VedError(
      'INVALID_CONFIG',
      `The bert decoder config has "is_decoder": ${c.isDecoder}, "add_cross_attention": ${c.addCrossAttention}; ` +
        'as the decoder of a VisionEncoderDecoder both must be true (causal self-attention and cross-attention to the image).',
    );
  }
}

function buildStep(ctx: BuildContext, c: BertConfig, io: DecoderStepIO): DecoderStepOutputs {
  requireCrossAttention(c);
  const { g } = ctx;
  const H = c.hiddenSize;
  const bert = ctx.at('bert');
  const emb = bert.at('embeddings');
  const words = emb.weight('word_embeddings.weight', [c.vocabSize, H]);
  const positions = sequentialPositionIds(g, io.pastLength, io.queryLength);
  // token_type_ids default to the all-zero buffer: every position adds row 0.
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
    const out = g.scope(`layer${i}`, () => bertDecoderLayer(bert.at(`encoder.layer.${i}`), c, i, x, io, mask));
    x = out.x;
    presentKeys.push(out.key);
    presentValues.push(out.value);
  }

  const p = ctx.at('cls.predictions');
  x = activation(g, linear(p, x, 'transform.dense', H, H), c.hiddenAct);
  x = layerNorm(p, x, 'transform.LayerNorm', H, c.layerNormEps);
  // Tied head (transformers `modeling_utils.py`, `PreTrainedModel.tie_weights`): an explicit decoder weight/bias in the checkpoint wins.
  const bias = p.has('decoder.bias') ? p.weight('decoder.bias', [c.vocabSize]) : p.weight('bias', [c.vocabSize]);
  const logits =
    p.has('decoder.weight') || !c.tieWordEmbeddings
      ? lmHead(p, x, 'decoder.weight', c.vocabSize, H, bias)
      : lmHead(emb, x, 'word_embeddings.weight', c.vocabSize, H, bias);
  return { logits, presentKeys, presentValues };
}

function buildCrossKeyValues(ctx: BuildContext, c: BertConfig, encoderHidden: string) {
  requireCrossAttention(c);
  return bertCrossKeyValues(ctx.at('bert.encoder'), c, encoderHidden);
}

/** Every weight of `BertLMHeadModel`, initialised as `BertPreTrainedModel._init_weights` does. */
function weights(c: BertConfig): WeightSpec[] {
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
  const e = 'bert.embeddings';
  const specs: WeightSpec[] = [
    { name: `${e}.word_embeddings.weight`, shape: [c.vocabSize, H], init: embeddingInit(c.initializerRange, c.padTokenId, H) },
    { name: `${e}.position_embeddings.weight`, shape: [c.maxPositionEmbeddings, H], init: normal },
    { name: `${e}.token_type_embeddings.weight`, shape: [c.typeVocabSize, H], init: normal },
    ...ln(`${e}.LayerNorm`),
  ];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = `bert.encoder.layer.${i}`;
    specs.push(...attention(`${p}.attention`));
    if (c.addCrossAttention) specs.push(...attention(`${p}.crossattention`));
    specs.push(...lin(`${p}.intermediate.dense`, H, c.intermediateSize), ...lin(`${p}.output.dense`, c.intermediateSize, H), ...ln(`${p}.output.LayerNorm`));
  }
  specs.push(
    ...lin('cls.predictions.transform.dense', H, H),
    ...ln('cls.predictions.transform.LayerNorm'),
    { name: 'cls.predictions.bias', shape: [c.vocabSize], init: zeros },
  );
  // Tied: cls.predictions.decoder.{weight,bias} are word_embeddings and cls.predictions.bias, not saved.
  if (!c.tieWordEmbeddings) specs.push(...lin('cls.predictions.decoder', H, c.vocabSize));
  return specs;
}

export const bertDecoder: DecoderPlugin<BertConfig> = {
  modelType: 'bert',
  parseConfig: parseBertConfig,
  hiddenSize: (c) => c.hiddenSize,
  vocabSize: (c) => c.vocabSize,
  cacheLayout: (c) => ({ layers: c.numHiddenLayers, heads: c.numAttentionHeads, headDim: headDim(c) }),
  // `position_embeddings` (and the `token_type_ids` buffer) hold `max_position_embeddings` rows.
  maxPositions: (c) => c.maxPositionEmbeddings,
  // A model with a `position_ids` buffer ignores saved ones (`_adjust_missing_and_unexpected_keys`).
  unexpectedKeysToIgnore: ['(^|\\.)position_ids$'],
  // A BertModel / BertForMaskedLM checkpoint keeps the base model without the LM's `bert.` prefix.
  basePrefix: BERT_CAUSAL_LM_PREFIXES.base,
  // The head's decoder is tied to the word embeddings and its bias to `cls.predictions.bias` (absent from checkpoints).
  tiedWeights: (): Record<string, string> => ({
    'cls.predictions.decoder.weight': 'bert.embeddings.word_embeddings.weight',
    'cls.predictions.decoder.bias': 'cls.predictions.bias',
  }),
  weights,
  buildCrossKeyValues,
  buildStep,
};
