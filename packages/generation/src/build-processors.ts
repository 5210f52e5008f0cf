/**
 * The logits processors and stopping criteria of one call, built as
 * transformers' `GenerationMixin._get_logits_processor` /
 * `_get_stopping_criteria` (`generation/utils.py`) build them: same conditions,
 * same order. User-supplied entries of a built-in class replace it in place;
 * other user entries come after the built-in processors and before the sampling
 * warpers.
 */
import { VedError } from '@ved/core';
import { mergeWithCustom, type LogitsProcessor } from './logits-processor.js';
import type { Lengths, MergedGeneration } from './resolve-config.js';
import { ExponentialDecayLengthPenalty } from './processors/exponential-decay-length-penalty.js';
import { EpsilonLogitsWarper } from './processors/epsilon.js';
import { EtaLogitsWarper } from './processors/eta.js';
import { ForcedBOSTokenLogitsProcessor } from './processors/forced-bos.js';
import { ForcedEOSTokenLogitsProcessor } from './processors/forced-eos.js';
import { InfNanRemoveLogitsProcessor } from './processors/inf-nan-remove.js';
import { LogitNormalization } from './processors/logit-normalization.js';
import { MinLengthLogitsProcessor } from './processors/min-length.js';
import { MinNewTokensLengthLogitsProcessor } from './processors/min-new-tokens.js';
import { MinPLogitsWarper } from './processors/min-p.js';
import { NoBadWordsLogitsProcessor } from './processors/no-bad-words.js';
import { NoRepeatNGramLogitsProcessor } from './processors/no-repeat-ngram.js';
import { PrefixConstrainedLogitsProcessor, type PrefixAllowedTokensFn } from './processors/prefix-constrained.js';
import { RepetitionPenaltyLogitsProcessor } from './processors/repetition-penalty.js';
import { SequenceBiasLogitsProcessor } from './processors/sequence-bias.js';
import { SuppressTokensAtBeginLogitsProcessor } from './processors/suppress-tokens-at-begin.js';
import { SuppressTokensLogitsProcessor } from './processors/suppress-tokens.js';
import { TemperatureLogitsWarper } from './processors/temperature.js';
import { TopHLogitsWarper } from './processors/top-h.js';
import { TopKLogitsWarper } from './processors/top-k.js';
import { TopPLogitsWarper } from './processors/top-p.js';
import { TypicalLogitsWarper } from './processors/typical.js';
import { StopStringCriteria, type TokenDecoder } from './stopping/stop-strings.js';
import { EosTokenCriteria, MaxLengthCriteria, MaxTimeCriteria, type StoppingCriteria } from './stopping/stopping-criteria.js';

export function buildLogitsProcessors(
  config: MergedGeneration,
  lengths: Lengths,
  custom: readonly LogitsProcessor[] = [],
  prefixAllowedTokensFn?: PrefixAllowedTokensFn,
): LogitsProcessor[] {
  const o = config.options;
  const eos = config.eosTokenIds;
  const L0 = lengths.promptLength;
  const list: LogitsProcessor[] = [];
  if (o.sequenceBias !== undefined) list.push(new SequenceBiasLogitsProcessor(o.sequenceBias));
  if (o.repetitionPenalty !== undefined && o.repetitionPenalty !== 1) list.push(new RepetitionPenaltyLogitsProcessor(o.repetitionPenalty));
  if (o.noRepeatNgramSize !== undefined && o.noRepeatNgramSize > 0) list.push(new NoRepeatNGramLogitsProcessor(o.noRepeatNgramSize));
  if (o.badWordsIds !== undefined) list.push(new NoBadWordsLogitsProcessor(o.badWordsIds, eos));
  if (lengths.minLength !== undefined && eos !== undefined && lengths.minLength > 0) list.push(new MinLengthLogitsProcessor(lengths.minLength, eos));
  if (o.minNewTokens !== undefined && eos !== undefined && o.minNewTokens > 0) list.push(new MinNewTokensLengthLogitsProcessor(L0, o.minNewTokens, eos));
  if (prefixAllowedTokensFn !== undefined) list.push(new PrefixConstrainedLogitsProcessor(prefixAllowedTokensFn, o.numBeams ?? 1));
  if (o.forcedBosTokenId !== undefined) list.push(new ForcedBOSTokenLogitsProcessor(o.forcedBosTokenId));
  if (o.forcedEosTokenId !== undefined) list.push(new ForcedEOSTokenLogitsProcessor(lengths.maxLength, o.forcedEosTokenId));
  if (o.removeInvalidValues === true) list.push(new InfNanRemoveLogitsProcessor());
  if (o.exponentialDecayLengthPenalty !== undefined) list.push(new ExponentialDecayLengthPenalty(o.exponentialDecayLengthPenalty, eos, L0));
  if (o.suppressTokens !== undefined) list.push(new SuppressTokensLogitsProcessor(o.suppressTokens));
  if (o.beginSuppressTokens !== undefined) {
    const beginIndex = L0 > 1 || o.forcedBosTokenId === undefined ? L0 : L0 + 1;
    list.push(new SuppressTokensAtBeginLogitsProcessor(o.beginSuppressTokens, beginIndex));
  }
  const processors = mergeWithCustom(list, custom);

  if (o.doSample === true) {
    // Beam sampling keeps at least one non-eos candidate per beam.
    const beams = o.numBeams ?? 1;
    const minTokensToKeep = beams > 1 ? (eos === undefined ? 2 : eos.length + 1) : 1;
    if (o.temperature !== undefined && o.temperature !== 1) processors.push(new TemperatureLogitsWarper(o.temperature));
    if (o.topH !== undefined) processors.push(new TopHLogitsWarper(o.topH));
    if (o.topK !== undefined && o.topK !== 0) processors.push(new TopKLogitsWarper(o.topK, { minTokensToKeep }));
    if (o.topP !== undefined && o.topP < 1) processors.push(new TopPLogitsWarper(o.topP, { minTokensToKeep }));
    if (o.minP !== undefined) processors.push(new MinPLogitsWarper(o.minP, { minTokensToKeep }));
    if (o.typicalP !== undefined && o.typicalP < 1) processors.push(new TypicalLogitsWarper(o.typicalP, { minTokensToKeep }));
    if (o.epsilonCutoff !== undefined && o.epsilonCutoff > 0 && o.epsilonCutoff < 1) processors.push(new EpsilonLogitsWarper(o.epsilonCutoff, { minTokensToKeep }));
    if (o.etaCutoff !== undefined && o.etaCutoff > 0 && o.etaCutoff < 1) processors.push(new EtaLogitsWarper(o.etaCutoff, { minTokensToKeep }));
  }
  if (o.renormalizeLogits === true) processors.push(new LogitNormalization());
  return processors;
}

export function buildStoppingCriteria(
  config: MergedGeneration,
  lengths: Lengths,
  custom: readonly StoppingCriteria[] = [],
  tokenizer?: TokenDecoder,
): StoppingCriteria[] {
  const o = config.options;
  const list: StoppingCriteria[] = [new MaxLengthCriteria(lengths.maxLength)];
  if (o.maxTime !== undefined) list.push(new MaxTimeCriteria(o.maxTime));
  if (o.stopStrings !== undefined) {
    if (tokenizer === undefined) {
      throw new VedError(
        'INVALID_OPTION',
        'There are one or more stop strings, either in the arguments to `generate` or in the model\'s generation config, but we could not ' +
          'locate a tokenizer. When generating with stop strings, you must pass the model\'s tokenizer (an object with `decode(ids)`) as `tokenizer`.',
      );
    }
    list.push(new StopStringCriteria(tokenizer, o.stopStrings));
  }
  if (config.eosTokenIds !== undefined) list.push(new EosTokenCriteria(config.eosTokenIds));
  return mergeWithCustom(list, custom);
}
