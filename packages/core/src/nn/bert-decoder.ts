/**
 * The BERT-family causal LMs as the decoder of a VisionEncoderDecoder, one
 * builder whose members differ only in options: `BertLMHeadModel`
 * (transformers `modeling_bert.py`) and `RobertaForCausalLM` /
 * `XLMRobertaForCausalLM` (`modeling_roberta.py`, which copies BERT's layers).
 * Embeddings (word + token type 0 + absolute position) → LayerNorm; post-LN
 * layers (`bertDecoderLayer`: causal self-attention, cross-attention,
 * feed-forward); the prediction head (dense → activation → LayerNorm →
 * decoder tied to the word embeddings, plus bias). Cross-attention
 * keys/values are `Linear(hidden, hidden)` of the encoder states, so these
 * must already have the decoder's width (`enc_to_dec_proj`).
 */
import type { ConfigReader, RawConfig } from '../config/config-reader.js';
import type { DecoderPlugin, DecoderStepIO, DecoderStepOutputs } from '../contracts.js';
import { VedError } from '../errors.js';
import type { WeightSpec } from '../weights/weight-binder.js';
import { causalMask } from './attention.js';
import { bertCrossKeyValues, bertDecoderLayer } from './bert-layer.js';
import type { BuildContext } from './context.js';
import { dropout, dropoutRate } from './dropout.js';
import { embeddingInit, embeddingLookup, paddingAwarePositionIds, sequentialPositionIds } from './embeddings.js';
import { ACTIVATIONS, activation, layerNorm, linear, lmHead } from './layers.js';
import { dryStepIO, weightsFromGraph } from './weights-from-graph.js';

/** The config fields the BERT-family decoders read (`BertConfig`, `RobertaConfig`, `XLMRobertaConfig`). */
export interface BertFamilyConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  /** `padding_idx` of the word embeddings (its row is zero at initialisation); with padding-aware positions also of the position table. */
  padTokenId: number | undefined;
  isDecoder: boolean;
  addCrossAttention: boolean;
  tieWordEmbeddings: boolean;
  /** Train-mode dropout (defaults 0.1): after the embeddings and each dense output, and on the attention probabilities. */
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
}

/**
 * The fields whose names and defaults `configuration_bert.py` and `configuration_roberta.py`
 * (5.18) share; each member reads `vocab_size` (default given) and `pad_token_id` itself.
 * Fails when the heads do not divide `hidden_size`.
 */
export function readBertFamilyConfig(r: ConfigReader, vocabSize: number): Omit<BertFamilyConfig, 'padTokenId'> {
  const config = {
    vocabSize: r.int('vocab_size', vocabSize, 1),
    hiddenSize: r.int('hidden_size', 768, 1),
    numHiddenLayers: r.int('num_hidden_layers', 12, 0),
    numAttentionHeads: r.int('num_attention_heads', 12, 1),
    intermediateSize: r.int('intermediate_size', 3072, 1),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    maxPositionEmbeddings: r.int('max_position_embeddings', 512, 1),
    typeVocabSize: r.int('type_vocab_size', 2, 1),
    initializerRange: r.float('initializer_range', 0.02),
    layerNormEps: r.float('layer_norm_eps', 1e-12),
    isDecoder: r.bool('is_decoder', false),
    addCrossAttention: r.bool('add_cross_attention', false),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', 0.1),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new VedError(
      'INVALID_CONFIG',
      `${r.where}: "hidden_size" (${config.hiddenSize}) must be a multiple of "num_attention_heads" (${config.numAttentionHeads}).`,
    );
  }
  return config;
}

/** What tells one member of the family from another. */
export interface BertFamilyOptions<C extends BertFamilyConfig> {
  modelType: string;
  parseConfig(raw: RawConfig, where: string): C;
  /** Where the causal LM keeps the base model and the head, e.g. `{ base: 'bert.', head: 'cls.' }`. */
  prefixes: { readonly base: string; readonly head: string };
  /** The head's module (`cls.predictions`, `lm_head`) and its dense and LayerNorm below it. */
  head: { module: string; dense: string; layerNorm: string };
  /** The head's activation when fixed (RobertaLMHead: GELU whatever `hidden_act` says); else `hidden_act`. */
  headActivation?: string;
  /**
   * fairseq's padding-aware positions (RoBERTa: real tokens count from `pad + 1`, pad tokens sit at
   * `pad`; the position table has a padding row too); else sequential `past + arange(T)` (BERT).
   */
  paddingAwarePositions: boolean;
}

export function bertFamilyDecoder<C extends BertFamilyConfig>(o: BertFamilyOptions<C>): DecoderPlugin<C> {
  const base = o.prefixes.base.slice(0, -1);
  const head = o.head.module;
  const words = `${o.prefixes.base}embeddings.word_embeddings.weight`;

  function requireCrossAttention(c: C): void {
    if (!c.isDecoder || !c.addCrossAttention) {
      throw new VedError(
        'INVALID_CONFIG',
        `The ${o.modelType} decoder config has "is_decoder": ${c.isDecoder}, "add_cross_attention": ${c.addCrossAttention}; ` +
          'as the decoder of a VisionEncoderDecoder both must be true (causal self-attention and cross-attention to the image).',
      );
    }
  }

  function padTokenId(c: C): number {
    if (c.padTokenId === undefined) throw new VedError('INVALID_CONFIG', `The ${o.modelType} decoder config needs a "pad_token_id": positions count from it.`);
    return c.padTokenId;
  }

  /** The step graph; the weights-only build also takes configs without cross-attention. */
  function step(ctx: BuildContext, c: C, io: DecoderStepIO): DecoderStepOutputs {
    const { g } = ctx;
    const H = c.hiddenSize;
    const model = ctx.at(base);
    const emb = model.at('embeddings');
    const positions = o.paddingAwarePositions
      ? paddingAwarePositionIds(g, io.inputIds, padTokenId(c), io.pastLength)
      : sequentialPositionIds(g, io.pastLength, io.queryLength);
    // RoBERTa's position table is an nn.Embedding(padding_idx=pad_token_id) too; BERT's is not.
    const positionPadding = o.paddingAwarePositions ? c.padTokenId : undefined;
    // token_type_ids default to the all-zero buffer: every position adds row 0.
    const tokenType = g.op('Gather', [emb.weight('token_type_embeddings.weight', [c.typeVocabSize, H]), g.constInt(0, [])]);
    let x = g.op('Add', [
      g.op('Add', [embeddingLookup(g, emb.weight('word_embeddings.weight', [c.vocabSize, H]), io.inputIds, c.padTokenId), tokenType]),
      embeddingLookup(g, emb.weight('position_embeddings.weight', [c.maxPositionEmbeddings, H]), positions, positionPadding),
    ]);
    x = dropout(emb, layerNorm(emb, x, 'LayerNorm', H, c.layerNormEps), c.hiddenDropoutProb);

    const mask = causalMask(g, io.pastLength, io.queryLength, io.attentionMask);
    const presentKeys: string[] = [];
    const presentValues: string[] = [];
    for (let i = 0; i < c.numHiddenLayers; i++) {
      const out = g.scope(`layer${i}`, () => bertDecoderLayer(model.at(`encoder.layer.${i}`), c, i, x, io, mask));
      x = out.x;
      presentKeys.push(out.key);
      presentValues.push(out.value);
    }

    const p = ctx.at(head);
    x = activation(g, linear(p, x, o.head.dense, H, H), o.headActivation ?? c.hiddenAct);
    x = layerNorm(p, x, o.head.layerNorm, H, c.layerNormEps);
    // Tied head (transformers `modeling_utils.py`, `PreTrainedModel.tie_weights`): an explicit decoder weight/bias in the checkpoint wins.
    const bias = p.has('decoder.bias') ? p.weight('decoder.bias', [c.vocabSize]) : p.weight('bias', [c.vocabSize]);
    const logits =
      p.has('decoder.weight') || !c.tieWordEmbeddings
        ? lmHead(p, x, 'decoder.weight', c.vocabSize, H, bias)
        : lmHead(emb, x, 'word_embeddings.weight', c.vocabSize, H, bias);
    return { logits, presentKeys, presentValues };
  }

  /**
   * Every weight of the causal LM (cross-attention only with `add_cross_attention`; the head's
   * decoder, which the graph skips for its bias, only when untied), initialised as
   * `BertPreTrainedModel._init_weights` / `RobertaPreTrainedModel._init_weights` do: the default,
   * with the padding rows of the word embeddings (and of RoBERTa's position table) zeroed.
   */
  function weights(c: C): WeightSpec[] {
    const padded = embeddingInit(c.initializerRange, c.padTokenId, c.hiddenSize);
    const positions = `${o.prefixes.base}embeddings.position_embeddings.weight`;
    return weightsFromGraph(
      (ctx) => {
        step(ctx, c, dryStepIO(c.numHiddenLayers));
        if (c.addCrossAttention) bertCrossKeyValues(ctx.at(`${base}.encoder`), c, 'encoder_hidden_states');
      },
      {
        std: c.initializerRange,
        init: (name) => (name === words || (o.paddingAwarePositions && name === positions) ? padded : undefined),
        // The order `BertEmbeddings`, `BertLayer`, `BertAttention` and the heads register their parts in.
        order: [
          'word_embeddings', 'position_embeddings', 'token_type_embeddings',
          'attention', 'crossattention', 'intermediate', 'self', 'output', 'query', 'key', 'value',
          'dense', 'LayerNorm', 'layer_norm', 'transform', 'weight', 'bias', 'decoder',
        ],
        unread: c.tieWordEmbeddings ? [] : [{ name: `${head}.decoder.bias`, shape: [c.vocabSize] }],
      },
    );
  }

  return {
    modelType: o.modelType,
    parseConfig: o.parseConfig,
    hiddenSize: (c) => c.hiddenSize,
    vocabSize: (c) => c.vocabSize,
    cacheLayout: (c) => ({ layers: c.numHiddenLayers, heads: c.numAttentionHeads, headDim: c.hiddenSize / c.numAttentionHeads }),
    // `position_embeddings` (and the `token_type_ids` buffer) hold `max_position_embeddings` rows;
    // padding-aware positions count from `pad_token_id + 1`, so the rows up to the padding row are never reached.
    maxPositions: (c) => (o.paddingAwarePositions ? c.maxPositionEmbeddings - padTokenId(c) - 1 : c.maxPositionEmbeddings),
    // A model with a `position_ids` buffer ignores saved ones (`_adjust_missing_and_unexpected_keys`).
    unexpectedKeysToIgnore: ['(^|\\.)position_ids$'],
    // A base-model checkpoint (BertModel, RobertaModel) keeps the base model without the LM's prefix.
    basePrefix: o.prefixes.base,
    // The head's decoder is tied to the word embeddings and its bias to the head's bias (absent from checkpoints).
    tiedWeights: (): Record<string, string> => ({ [`${head}.decoder.weight`]: words, [`${head}.decoder.bias`]: `${head}.bias` }),
    weights,
    buildCrossKeyValues: (ctx, c, encoderHidden) => {
      requireCrossAttention(c);
      return bertCrossKeyValues(ctx.at(`${base}.encoder`), c, encoderHidden);
    },
    buildStep: (ctx, c, io) => {
      requireCrossAttention(c);
      return step(ctx, c, io);
    },
  };
}
