/** @ved/generation: search strategies, logits processors, stopping and streaming for encoder-decoder models. */
export { generate, buildPrompt, type GenerateInputs, type GenerateOutput } from './generate.js';
export { chunkStream, generateStream, type GenerationStream, type StreamChunk, type StreamOptions } from './generate-stream.js';
export { CheckedDecodingSession, checkPromptIds, type ModelLimits } from './token-checks.js';
export { ContinuousBatcher, type BatcherOptions, type StepInfo, type EncodeInfo } from './continuous/batcher.js';
export { GroupedRowBatch } from './continuous/grouped-row-batch.js';
export {
  modelGenerationConfig,
  fromJson as generationOptionsFromJson,
  toJson as generationOptionsToJson,
  checkCallOptions,
  jsonKey as generationOptionJsonKey,
  GLOBAL_DEFAULTS,
  OPTION_NAMES as GENERATION_OPTION_NAMES,
  type GenerationOptions,
  type EarlyStopping,
  type SequenceBias,
} from './generation-config.js';
export {
  mergeGeneration,
  prepareLengths,
  resolveGeneration,
  type MergedGeneration,
  type MergedOptions,
  type GenerationMode,
  type Lengths,
} from './resolve-config.js';
export { buildLogitsProcessors, buildStoppingCriteria } from './build-processors.js';
export type { DecodeInputs, DecodeResult } from './decode-types.js';
export { greedySearch } from './greedy.js';
export { multinomialSample, sampleIndex } from './sample.js';
export { beamSearch, topKCandidates, type BeamInputs, type CandidateSelector } from './beam-search.js';
export { beamSample, sampleCandidates } from './beam-sample.js';
export { runSampleLoop, type TokenSelector } from './sample-loop.js';
export { SeededRandom } from '@ved/core';
export { argmax, logSoftmax, makeScores, type Scores, type InputIds } from './scores.js';
export { applyProcessors, mergeWithCustom, type LogitsProcessor } from './logits-processor.js';
export { TextStreamer, TextAccumulator, type Streamer, type TextStreamerOptions } from './streaming.js';
export {
  MaxLengthCriteria,
  MaxTimeCriteria,
  EosTokenCriteria,
  anyDone,
  type StoppingCriteria,
} from './stopping/stopping-criteria.js';
export { StopStringCriteria, type TokenDecoder } from './stopping/stop-strings.js';
export { RepetitionPenaltyLogitsProcessor } from './processors/repetition-penalty.js';
export { NoRepeatNGramLogitsProcessor } from './processors/no-repeat-ngram.js';
export { SequenceBiasLogitsProcessor } from './processors/sequence-bias.js';
export { NoBadWordsLogitsProcessor } from './processors/no-bad-words.js';
export { MinLengthLogitsProcessor } from './processors/min-length.js';
export { MinNewTokensLengthLogitsProcessor } from './processors/min-new-tokens.js';
export { PrefixConstrainedLogitsProcessor, type PrefixAllowedTokensFn } from './processors/prefix-constrained.js';
export { ForcedBOSTokenLogitsProcessor } from './processors/forced-bos.js';
export { ForcedEOSTokenLogitsProcessor } from './processors/forced-eos.js';
export { InfNanRemoveLogitsProcessor } from './processors/inf-nan-remove.js';
export { ExponentialDecayLengthPenalty } from './processors/exponential-decay-length-penalty.js';
export { SuppressTokensLogitsProcessor } from './processors/suppress-tokens.js';
export { SuppressTokensAtBeginLogitsProcessor } from './processors/suppress-tokens-at-begin.js';
export { LogitNormalization } from './processors/logit-normalization.js';
export { TemperatureLogitsWarper } from './processors/temperature.js';
export { TopKLogitsWarper } from './processors/top-k.js';
export { TopPLogitsWarper } from './processors/top-p.js';
export { TopHLogitsWarper } from './processors/top-h.js';
export { MinPLogitsWarper } from './processors/min-p.js';
export { TypicalLogitsWarper } from './processors/typical.js';
export { EpsilonLogitsWarper } from './processors/epsilon.js';
export { EtaLogitsWarper } from './processors/eta.js';
