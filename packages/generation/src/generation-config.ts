/**
 * `GenerationConfig` with Python's names (camelCase here, snake_case in JSON)
 * and defaults (transformers 5.18 `generation/configuration_utils.py`).
 *
 * Layers, as transformers builds them (`GenerationMixin._prepare_generation_config`
 * in `generation/utils.py`, `GenerationConfig.from_model_config` in
 * `generation/configuration_utils.py`):
 * call options → the model's generation config (`generation_config.json`, or
 * built from `config.json`: non-null top-level keys, then the decoder
 * sub-config for what is still unset) → global defaults. In call options
 * `null` is Python's explicit `None` (it overrides the model's value); in a
 * JSON file `null` means unset.
 */
import { VedError, didYouMean, isRecord, type RawConfig } from '@ved/core';

export type EarlyStopping = boolean | 'never';
/** `[[token ids], bias]` pairs, as Python's `sequence_bias` list form. */
export type SequenceBias = Array<[number[], number]>;

export interface GenerationOptions {
  // ---- length
  /** Total decoder length, start token and prompt included (default 20 new tokens when nothing sets it). */
  maxLength?: number;
  /** Tokens to generate after the prompt; wins over `maxLength`. */
  maxNewTokens?: number | null;
  /** Minimum total length (start token included); eos is banned before it. Default 0. */
  minLength?: number | null;
  minNewTokens?: number | null;
  /** Beam search stop rule: `true`, `false` (default) or `"never"`. */
  earlyStopping?: EarlyStopping | null;
  /** Seconds; generation stops after the step that exceeds it. */
  maxTime?: number | null;
  /** Stop a row once its text ends inside one of these strings (needs a tokenizer). */
  stopStrings?: string | string[] | null;
  // ---- strategy
  doSample?: boolean | null;
  numBeams?: number;
  /** Accepted for compatibility; ved always decodes with a cache (same results). */
  useCache?: boolean | null;
  // ---- logits processing
  temperature?: number | null;
  topK?: number | null;
  topP?: number | null;
  minP?: number | null;
  topH?: number | null;
  typicalP?: number | null;
  epsilonCutoff?: number | null;
  etaCutoff?: number | null;
  repetitionPenalty?: number | null;
  /** Needs encoder input ids: ignored for image encoders, with a warning (as Python). */
  encoderRepetitionPenalty?: number | null;
  lengthPenalty?: number;
  noRepeatNgramSize?: number | null;
  /** Needs encoder input ids: ignored for image encoders, with a warning (as Python). */
  encoderNoRepeatNgramSize?: number | null;
  badWordsIds?: number[][] | null;
  renormalizeLogits?: boolean | null;
  forcedBosTokenId?: number | null;
  forcedEosTokenId?: number | number[] | null;
  removeInvalidValues?: boolean | null;
  /** `[startIndex, decayFactor]`. */
  exponentialDecayLengthPenalty?: [number, number] | null;
  suppressTokens?: number[] | null;
  beginSuppressTokens?: number[] | null;
  sequenceBias?: SequenceBias | null;
  // ---- output
  numReturnSequences?: number;
  outputScores?: boolean | null;
  outputLogits?: boolean | null;
  returnDictInGenerate?: boolean | null;
  // ---- special tokens
  padTokenId?: number | null;
  bosTokenId?: number | null;
  eosTokenId?: number | number[] | null;
  /** One id, or one per image. */
  decoderStartTokenId?: number | number[] | null;
  // ---- ved
  /** Seed of ved's sampling PRNG (xoshiro128**, see random.ts); random when unset. */
  seed?: number | null;
  // ---- Python options ved does not run (an error when active, as they change the result)
  numBeamGroups?: number | null;
  diversityPenalty?: number | null;
  penaltyAlpha?: number | null;
  dolaLayers?: unknown;
  constraints?: unknown;
  forceWordsIds?: unknown;
  lowMemory?: boolean | null;
  guidanceScale?: number | null;
  outputAttentions?: boolean | null;
  outputHiddenStates?: boolean | null;
  tokenHealing?: boolean | null;
  watermarkingConfig?: unknown;
}

export type OptionName = keyof GenerationOptions;

type Kind =
  | 'int'
  | 'number'
  | 'bool'
  | 'earlyStopping'
  | 'intOrList'
  | 'intList'
  | 'intLists'
  | 'strings'
  | 'decay'
  | 'sequenceBias'
  | 'any';

interface OptionSpec {
  key: string;
  kind: Kind;
  /** `null` is not allowed in call options (Python crashes on None). */
  required?: boolean;
}

const OPTIONS: Record<OptionName, OptionSpec> = {
  maxLength: { key: 'max_length', kind: 'int', required: true },
  maxNewTokens: { key: 'max_new_tokens', kind: 'int' },
  minLength: { key: 'min_length', kind: 'int' },
  minNewTokens: { key: 'min_new_tokens', kind: 'int' },
  earlyStopping: { key: 'early_stopping', kind: 'earlyStopping' },
  maxTime: { key: 'max_time', kind: 'number' },
  stopStrings: { key: 'stop_strings', kind: 'strings' },
  doSample: { key: 'do_sample', kind: 'bool' },
  numBeams: { key: 'num_beams', kind: 'int', required: true },
  useCache: { key: 'use_cache', kind: 'bool' },
  temperature: { key: 'temperature', kind: 'number' },
  topK: { key: 'top_k', kind: 'int' },
  topP: { key: 'top_p', kind: 'number' },
  minP: { key: 'min_p', kind: 'number' },
  topH: { key: 'top_h', kind: 'number' },
  typicalP: { key: 'typical_p', kind: 'number' },
  epsilonCutoff: { key: 'epsilon_cutoff', kind: 'number' },
  etaCutoff: { key: 'eta_cutoff', kind: 'number' },
  repetitionPenalty: { key: 'repetition_penalty', kind: 'number' },
  encoderRepetitionPenalty: { key: 'encoder_repetition_penalty', kind: 'number' },
  lengthPenalty: { key: 'length_penalty', kind: 'number', required: true },
  noRepeatNgramSize: { key: 'no_repeat_ngram_size', kind: 'int' },
  encoderNoRepeatNgramSize: { key: 'encoder_no_repeat_ngram_size', kind: 'int' },
  badWordsIds: { key: 'bad_words_ids', kind: 'intLists' },
  renormalizeLogits: { key: 'renormalize_logits', kind: 'bool' },
  forcedBosTokenId: { key: 'forced_bos_token_id', kind: 'int' },
  forcedEosTokenId: { key: 'forced_eos_token_id', kind: 'intOrList' },
  removeInvalidValues: { key: 'remove_invalid_values', kind: 'bool' },
  exponentialDecayLengthPenalty: { key: 'exponential_decay_length_penalty', kind: 'decay' },
  suppressTokens: { key: 'suppress_tokens', kind: 'intList' },
  beginSuppressTokens: { key: 'begin_suppress_tokens', kind: 'intList' },
  sequenceBias: { key: 'sequence_bias', kind: 'sequenceBias' },
  numReturnSequences: { key: 'num_return_sequences', kind: 'int', required: true },
  outputScores: { key: 'output_scores', kind: 'bool' },
  outputLogits: { key: 'output_logits', kind: 'bool' },
  returnDictInGenerate: { key: 'return_dict_in_generate', kind: 'bool' },
  padTokenId: { key: 'pad_token_id', kind: 'int' },
  bosTokenId: { key: 'bos_token_id', kind: 'int' },
  eosTokenId: { key: 'eos_token_id', kind: 'intOrList' },
  decoderStartTokenId: { key: 'decoder_start_token_id', kind: 'intOrList' },
  seed: { key: 'seed', kind: 'int' },
  numBeamGroups: { key: 'num_beam_groups', kind: 'int' },
  diversityPenalty: { key: 'diversity_penalty', kind: 'number' },
  penaltyAlpha: { key: 'penalty_alpha', kind: 'number' },
  dolaLayers: { key: 'dola_layers', kind: 'any' },
  constraints: { key: 'constraints', kind: 'any' },
  forceWordsIds: { key: 'force_words_ids', kind: 'any' },
  lowMemory: { key: 'low_memory', kind: 'bool' },
  guidanceScale: { key: 'guidance_scale', kind: 'number' },
  outputAttentions: { key: 'output_attentions', kind: 'bool' },
  outputHiddenStates: { key: 'output_hidden_states', kind: 'bool' },
  tokenHealing: { key: 'token_healing', kind: 'bool' },
  watermarkingConfig: { key: 'watermarking_config', kind: 'any' },
};

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];
const BY_KEY = new Map(OPTION_NAMES.map((name) => [OPTIONS[name].key, name] as const));

/** Keys of Python's GenerationConfig that change nothing in ved (metadata, cache and compile settings). */
const IGNORED_KEYS = new Set([
  '_from_model_config',
  'transformers_version',
  'cache_implementation',
  'cache_config',
  'max_cache_len',
  'compile_config',
  'disable_compile',
  'prefill_chunk_size',
  'use_mtp',
  'is_assistant',
  'num_assistant_tokens',
  'num_assistant_tokens_schedule',
  'assistant_confidence_threshold',
  'prompt_lookup_num_tokens',
  'max_matching_ngram_size',
  'assistant_early_exit',
  'assistant_lookbehind',
  'target_lookbehind',
  'assistant_ensemble_weight',
  'speculation_type',
  'continuous_batching_config',
]);

/** Python's global defaults (`GenerationConfig._get_default_generation_params`); everything else defaults to None. */
export const GLOBAL_DEFAULTS = {
  maxLength: 20,
  minLength: 0,
  doSample: false,
  useCache: true,
  earlyStopping: false,
  numBeams: 1,
  temperature: 1.0,
  topK: 50,
  topP: 1.0,
  typicalP: 1.0,
  repetitionPenalty: 1.0,
  lengthPenalty: 1.0,
  noRepeatNgramSize: 0,
  encoderNoRepeatNgramSize: 0,
  numReturnSequences: 1,
  outputScores: false,
  returnDictInGenerate: false,
  removeInvalidValues: false,
  epsilonCutoff: 0.0,
  etaCutoff: 0.0,
  encoderRepetitionPenalty: 1.0,
  numBeamGroups: 1,
  diversityPenalty: 0.0,
} as const satisfies GenerationOptions;

/** The JSON (snake_case) name of an option. */
export function jsonKey(name: OptionName): string {
  return OPTIONS[name].key;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isIntList = (x: unknown): x is number[] => Array.isArray(x) && x.every(isInt);

const EXPECTED: Record<Kind, string> = {
  int: 'an integer',
  number: 'a number',
  bool: 'true or false',
  earlyStopping: 'true, false or "never"',
  intOrList: 'an integer or a list of integers',
  intList: 'a list of integers',
  intLists: 'a list of lists of integers',
  strings: 'a string or a list of strings',
  decay: 'a pair [start_index, decay_factor]',
  sequenceBias: 'a list of [[token ids], bias] pairs',
  any: 'a value',
};

function typeOk(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'int':
      return isInt(v);
    case 'number':
      return typeof v === 'number' && !Number.isNaN(v);
    case 'bool':
      return typeof v === 'boolean';
    // Python only rejects bad early_stopping values in validate(); any string passes the type check here.
    case 'earlyStopping':
      return typeof v === 'boolean' || typeof v === 'string';
    case 'intOrList':
      return isInt(v) || isIntList(v);
    case 'intList':
      return isIntList(v);
    case 'intLists':
      return Array.isArray(v) && v.every((x) => Array.isArray(x));
    case 'strings':
      return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    case 'decay':
      return Array.isArray(v) && v.length === 2 && isInt(v[0]) && typeof v[1] === 'number';
    case 'sequenceBias':
      return Array.isArray(v);
    case 'any':
      return true;
  }
}

function checkOption(name: OptionName, v: unknown, where: string, allowNull: boolean): void {
  const spec = OPTIONS[name];
  if (v === null) {
    if (allowNull && !spec.required) return;
    if (allowNull) throw new VedError('INVALID_OPTION', `${where}: "${name}" (${spec.key}) cannot be null; leave it unset for the default.`);
    return;
  }
  if (!typeOk(spec.kind, v)) {
    throw new VedError('INVALID_OPTION', `${where}: "${name}" (${spec.key}) is ${JSON.stringify(v)}, expected ${EXPECTED[spec.kind]}.`);
  }
}

function copyValue(v: unknown): unknown {
  return v === null || typeof v !== 'object' ? v : JSON.parse(JSON.stringify(v));
}

/**
 * Reads the options held in a snake_case JSON object.
 * - `as: 'file'` (generation_config.json / config.json): null means unset; unknown keys are ignored.
 * - `as: 'call'` (`--generation-config`, Python's generate kwargs): null is an explicit None; unknown keys are errors.
 */
export function fromJson(json: RawConfig, where: string, as: 'file' | 'call' = 'file'): GenerationOptions {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(json)) {
    const name = BY_KEY.get(key);
    if (name === undefined) {
      if (as === 'call' && !IGNORED_KEYS.has(key)) {
        throw new VedError('INVALID_OPTION', `${where}: unknown generation option "${key}"${didYouMean(key, BY_KEY.keys(), (k) => `"${k}"`)}; known: ${[...BY_KEY.keys()].sort().join(', ')}.`);
      }
      continue;
    }
    if (v === undefined || (v === null && as === 'file')) continue;
    checkOption(name, v, where, as === 'call');
    out[name] = copyValue(v);
  }
  return out as GenerationOptions;
}

/** The snake_case JSON of `options` (unset options are left out; null stays null). */
export function toJson(options: GenerationOptions): RawConfig {
  const out: RawConfig = {};
  for (const name of OPTION_NAMES) {
    if (options[name] !== undefined) out[OPTIONS[name].key] = copyValue(options[name]);
  }
  return out;
}

/** Checks call options given in TypeScript: known names, value types; null is Python's None. */
export function checkCallOptions(options: GenerationOptions, where = 'generate()'): void {
  for (const [name, v] of Object.entries(options)) {
    if (v === undefined) continue;
    if (!(name in OPTIONS)) {
      throw new VedError('INVALID_OPTION', `${where}: unknown generation option "${name}"${didYouMean(name, OPTION_NAMES, (k) => `"${k}"`)}; known: ${OPTION_NAMES.join(', ')}.`);
    }
    checkOption(name as OptionName, v, where, true);
  }
}

/**
 * The model's generation config, as `model.generation_config` is built in
 * Python: `generation_config.json` when the checkpoint has one; otherwise
 * (`GenerationConfig.from_model_config`) the non-null generation keys of
 * `config.json`'s top level, then the decoder sub-config's for every option
 * still unset. Legacy generation keys in config.json (`num_beams`,
 * `max_length`, ...) are picked up this way, as Python moves them there.
 */
export function modelGenerationConfig(config: RawConfig, generationJson: RawConfig | undefined, where = 'config.json'): GenerationOptions {
  if (generationJson !== undefined) return fromJson(generationJson, 'generation_config.json');
  const merged: Record<string, unknown> = { ...fromJson(config, where) };
  // Legacy BART-style flag, converted by Python's GenerationConfig when built from a model config.
  if (config.force_bos_token_to_be_generated === true) merged.forcedBosTokenId = merged.bosTokenId;
  const decoder = ['decoder', 'generator', 'text_config'].map((k) => config[k]).find((d) => isRecord(d) && Object.keys(d).length > 0);
  if (isRecord(decoder)) {
    // Python compares with GenerationConfig(), whose fields are all None: a decoder value fills only unset fields.
    // The decoder's null values are copied too, but null is "unset" here, so skipping them is the same.
    for (const [k, v] of Object.entries(fromJson(decoder, `${where} "decoder"`))) {
      if (merged[k] === undefined) merged[k] = v;
    }
  }
  // Python: any output_* flag set implies return_dict_in_generate.
  if (!merged.returnDictInGenerate && (merged.outputScores || merged.outputLogits || merged.outputAttentions || merged.outputHiddenStates)) {
    merged.returnDictInGenerate = true;
  }
  return merged as GenerationOptions;
}
