/**
 * RoBERTa (Liu et al., 2019, https://arxiv.org/abs/1907.11692) and
 * XLM-RoBERTa (Conneau et al., 2020, https://arxiv.org/abs/1911.02116) as the
 * decoder of a VisionEncoderDecoder: `RobertaForCausalLM` /
 * `XLMRobertaForCausalLM`. Mirrors transformers' `modeling_roberta.py` through
 * core's BERT-family builder (`bertFamilyDecoder`, shared with BERT): BERT's
 * layers, but padding-aware positions (fairseq's `make_positions`: real tokens count from
 * `pad + 1`, pad tokens sit at `pad`) and the `lm_head` (dense → GELU, hard-coded
 * → layer_norm → decoder tied to the word embeddings + bias).
 */
import { bertFamilyDecoder } from '@ved/core';
import { parseRobertaConfig, type RobertaConfig } from './config.js';

/**
 * Where `RobertaForCausalLM` / `XLMRobertaForCausalLM` checkpoints keep their
 * tensors: the base model under `roberta.`, the head under `lm_head.`.
 */
export const ROBERTA_CAUSAL_LM_PREFIXES = { base: 'roberta.', head: 'lm_head.' } as const;

function robertaPlugin(modelType: string, defaultVocabSize: number) {
  return bertFamilyDecoder<RobertaConfig>({
    modelType,
    parseConfig: (raw, where) => parseRobertaConfig(raw, where, defaultVocabSize),
    prefixes: ROBERTA_CAUSAL_LM_PREFIXES,
    // RobertaLMHead: the activation is GELU whatever `hidden_act` says.
    head: { module: 'lm_head', dense: 'dense', layerNorm: 'layer_norm' },
    headActivation: 'gelu',
    paddingAwarePositions: true,
  });
}

/** `RobertaForCausalLM` (`model_type: "roberta"`). */
export const robertaDecoder = robertaPlugin('roberta', 50265);
/** `XLMRobertaForCausalLM` (`model_type: "xlm-roberta"`): the same network, a different config default. */
export const xlmRobertaDecoder = robertaPlugin('xlm-roberta', 30522);
