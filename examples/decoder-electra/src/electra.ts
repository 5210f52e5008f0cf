/**
 * ELECTRA (Clark et al., 2020, https://arxiv.org/abs/2003.10555) as the
 * decoder of a VisionEncoderDecoder: `ElectraForCausalLM` with `is_decoder`
 * and `add_cross_attention`. Mirrors transformers' `models/electra/modeling_electra.py`
 * (5.18). Its layers are BERT's (`ElectraLayer` is copied from `BertLayer`,
 * so core's `bertDecoderLayer` builds them under `electra.encoder.layer.{i}`);
 * what differs from BERT:
 *   - the embeddings are `embedding_size` wide (word + token type 0 + absolute
 *     position → LayerNorm), projected to `hidden_size` by `embeddings_project`
 *     when the two differ;
 *   - the generator head: `generator_predictions` (dense hidden → embedding_size,
 *     GELU whatever `hidden_act` says, LayerNorm) and `generator_lm_head`
 *     (embedding_size → vocab, weight tied to the word embeddings, own bias),
 *     where BERT has `cls.predictions` with a `hidden_act` transform.
 * Cross-attention keys/values are `Linear(hidden, hidden)` of the encoder
 * states, so these must already have the decoder's width (`enc_to_dec_proj`).
 *
 * Written as a third-party plugin: it imports nothing but `@ved/core`'s public API.
 */
import {
  BuildContext,
  VedError,
  activation,
  bertCrossKeyValues,
  bertDecoderLayer,
  causalMask,
  dryStepIO,
  dropout,
  embeddingInit,
  layerNorm,
  linear,
  lmHead,
  embeddingLookup,
  sequentialPositionIds,
  type DecoderPlugin,
  type DecoderStepIO,
  type DecoderStepOutputs,
  type WeightSpec,
  weightsFromGraph,
} from '@ved/core';
import { parseElectraConfig, type ElectraConfig } from './config.js';

/** Where `ElectraForCausalLM` keeps its base model (`ElectraModel` checkpoints have no prefix). */
export const ELECTRA_BASE_PREFIX = 'electra.';

const headDim = (c: ElectraConfig) => c.hiddenSize / c.numAttentionHeads;
const projected = (c: ElectraConfig) => c.embeddingSize !== c.hiddenSize;

function requireCrossAttention(c: ElectraConfig): void {
  if (!c.isDecoder || !c.addCrossAttention) {
    throw new VedError(
      'INVALID_CONFIG',
      `The electra decoder config has "is_decoder": ${c.isDecoder}, "add_cross_attention": ${c.addCrossAttention}; ` +
        'as the decoder of a VisionEncoderDecoder both must be true (causal self-attention and cross-attention to the image).',
    );
  }
}

/** `ElectraEmbeddings` (+ `embeddings_project`): [B, T] ids → [B, T, hidden]. */
function embeddings(ctx: BuildContext, c: ElectraConfig, io: DecoderStepIO): string {
  const { g } = ctx;
  const E = c.embeddingSize;
  const emb = ctx.at('electra.embeddings');
  const positions = sequentialPositionIds(g, io.pastLength, io.queryLength);
  // token_type_ids default to the all-zero buffer: every position adds row 0.
  const tokenType = g.op('Gather', [emb.weight('token_type_embeddings.weight', [c.typeVocabSize, E]), g.constInt(0, [])]);
  let x = g.op('Add', [
    g.op('Add', [embeddingLookup(g, emb.weight('word_embeddings.weight', [c.vocabSize, E]), io.inputIds, c.padTokenId), tokenType]),
    g.op('Gather', [emb.weight('position_embeddings.weight', [c.maxPositionEmbeddings, E]), positions]),
  ]);
  x = dropout(emb, layerNorm(emb, x, 'LayerNorm', E, c.layerNormEps), c.hiddenDropoutProb);
  return projected(c) ? linear(ctx.at('electra'), x, 'embeddings_project', E, c.hiddenSize) : x;
}

function buildStep(ctx: BuildContext, c: ElectraConfig, io: DecoderStepIO): DecoderStepOutputs {
  requireCrossAttention(c);
  const { g } = ctx;
  const H = c.hiddenSize;
  const E = c.embeddingSize;
  let x = embeddings(ctx, c, io);
  const mask = causalMask(g, io.pastLength, io.queryLength, io.attentionMask);
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const out = g.scope(`layer${i}`, () => bertDecoderLayer(ctx.at(`electra.encoder.layer.${i}`), c, i, x, io, mask));
    x = out.x;
    presentKeys.push(out.key);
    presentValues.push(out.value);
  }

  // ElectraGeneratorPredictions: get_activation("gelu") is fixed, not config.hidden_act.
  const p = ctx.at('generator_predictions');
  x = layerNorm(p, activation(g, linear(p, x, 'dense', H, E), 'gelu'), 'LayerNorm', E, c.layerNormEps);
  // generator_lm_head: its weight is tied to the word embeddings (an explicit one in the checkpoint wins,
  // as in `PreTrainedModel.tie_weights`); its bias is its own.
  const head = ctx.at('generator_lm_head');
  const bias = head.weight('bias', [c.vocabSize]);
  const logits =
    head.has('weight') || !c.tieWordEmbeddings
      ? lmHead(head, x, 'weight', c.vocabSize, E, bias)
      : lmHead(ctx.at('electra.embeddings'), x, 'word_embeddings.weight', c.vocabSize, E, bias);
  return { logits, presentKeys, presentValues };
}

function buildCrossKeyValues(ctx: BuildContext, c: ElectraConfig, encoderHidden: string) {
  requireCrossAttention(c);
  return bertCrossKeyValues(ctx.at('electra.encoder'), c, encoderHidden);
}

/**
 * `state_dict` order: how `ElectraForCausalLM`, `ElectraModel`, `ElectraEmbeddings`, `ElectraLayer`
 * and `ElectraAttention` register their parts. (`ElectraGeneratorPredictions` registers its
 * LayerNorm before its dense, the reverse of `ElectraSelfOutput`; one order serves both, so its two
 * modules swap places.)
 */
const STATE_DICT_ORDER = [
  'electra', 'generator_predictions', 'generator_lm_head',
  'embeddings', 'embeddings_project', 'encoder',
  'word_embeddings', 'position_embeddings', 'token_type_embeddings',
  'attention', 'crossattention', 'self', 'intermediate', 'output',
  'query', 'key', 'value', 'dense', 'LayerNorm',
];

/**
 * Every tensor `ElectraForCausalLM` saves, derived from the graph (a dry build
 * of the step and the cross keys/values: the head weight only when untied),
 * initialised as `PreTrainedModel._init_weights` does for it (ELECTRA adds only
 * buffers): linear weights and embeddings N(0, initializer_range), the word
 * embeddings' padding row zeroed, biases zero, layer norms one / zero.
 */
function weights(c: ElectraConfig): WeightSpec[] {
  const words = 'electra.embeddings.word_embeddings.weight';
  return weightsFromGraph(
    (ctx) => {
      buildStep(ctx, c, dryStepIO(c.numHiddenLayers));
      buildCrossKeyValues(ctx, c, 'encoder_hidden_states');
    },
    {
      std: c.initializerRange,
      init: (name) => (name === words ? embeddingInit(c.initializerRange, c.padTokenId, c.embeddingSize) : undefined),
      order: STATE_DICT_ORDER,
    },
  );
}

export const electraDecoder: DecoderPlugin<ElectraConfig> = {
  modelType: 'electra',
  parseConfig: parseElectraConfig,
  hiddenSize: (c) => c.hiddenSize,
  vocabSize: (c) => c.vocabSize,
  cacheLayout: (c) => ({ layers: c.numHiddenLayers, heads: c.numAttentionHeads, headDim: headDim(c) }),
  // `position_embeddings` (and the `token_type_ids` buffer) hold `max_position_embeddings` rows.
  maxPositions: (c) => c.maxPositionEmbeddings,
  // A model with a `position_ids` buffer ignores saved ones (`_adjust_missing_and_unexpected_keys`).
  unexpectedKeysToIgnore: ['(^|\\.)position_ids$'],
  basePrefix: ELECTRA_BASE_PREFIX,
  tiedWeights: (c): Record<string, string> => (c.tieWordEmbeddings ? { 'generator_lm_head.weight': 'electra.embeddings.word_embeddings.weight' } : {}),
  weights,
  buildCrossKeyValues,
  buildStep,
};
