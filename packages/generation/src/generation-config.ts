/**
 * `GenerationConfig` with Python's names (camelCase here, snake_case in JSON)
 * and defaults, layered as transformers layers it (spec §1.2, §6.1):
 * call options → the model's generation config (`generation_config.json`, or
 * built from `config.json` top-level keys then the decoder sub-config) →
 * global defaults.
 */
import { VedError, isRecord, type RawConfig } from '@ved/core';

export interface GenerationOptions {
  maxLength?: number;
  maxNewTokens?: number;
  minLength?: number;
  minNewTokens?: number;
  doSample?: boolean;
  numBeams?: number;
  numReturnSequences?: number;
  bosTokenId?: number;
  eosTokenId?: number | number[];
  padTokenId?: number;
  decoderStartTokenId?: number | number[];
}

/** JSON key ↔ option name, for every option that can come from a file. */
const KEYS: Record<keyof GenerationOptions, string> = {
  maxLength: 'max_length',
  maxNewTokens: 'max_new_tokens',
  minLength: 'min_length',
  minNewTokens: 'min_new_tokens',
  doSample: 'do_sample',
  numBeams: 'num_beams',
  numReturnSequences: 'num_return_sequences',
  bosTokenId: 'bos_token_id',
  eosTokenId: 'eos_token_id',
  padTokenId: 'pad_token_id',
  decoderStartTokenId: 'decoder_start_token_id',
};

/** Python's global defaults (GenerationConfig()); fields absent here default to None. */
export const GLOBAL_DEFAULTS = {
  maxLength: 20,
  minLength: 0,
  doSample: false,
  numBeams: 1,
  numReturnSequences: 1,
} as const;

const TOKEN_KEYS = ['bosTokenId', 'eosTokenId', 'padTokenId', 'decoderStartTokenId'] as const;

type Kind = 'int' | 'bool' | 'intOrList';
const KINDS: Record<keyof GenerationOptions, Kind> = {
  maxLength: 'int',
  maxNewTokens: 'int',
  minLength: 'int',
  minNewTokens: 'int',
  doSample: 'bool',
  numBeams: 'int',
  numReturnSequences: 'int',
  bosTokenId: 'int',
  eosTokenId: 'intOrList',
  padTokenId: 'int',
  decoderStartTokenId: 'intOrList',
};

function checkValue(name: string, kind: Kind, v: unknown, where: string): void {
  const isInt = (x: unknown) => typeof x === 'number' && Number.isInteger(x);
  const ok = kind === 'int' ? isInt(v) : kind === 'bool' ? typeof v === 'boolean' : isInt(v) || (Array.isArray(v) && v.every(isInt));
  if (!ok) {
    const expected = kind === 'int' ? 'an integer' : kind === 'bool' ? 'true or false' : 'an integer or a list of integers';
    throw new VedError('INVALID_OPTION', `${where}: "${name}" is ${JSON.stringify(v)}, expected ${expected}.`);
  }
}

/** Reads the options held in a snake_case JSON object (unknown keys are ignored here). */
export function fromJson(json: RawConfig, where: string): GenerationOptions {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(KEYS) as Array<[keyof GenerationOptions, string]>) {
    const v = json[key];
    if (v === undefined || v === null) continue;
    checkValue(key, KINDS[name], v, where);
    out[name] = v;
  }
  return out as GenerationOptions;
}

export function toJson(options: GenerationOptions): RawConfig {
  const out: RawConfig = {};
  for (const [name, key] of Object.entries(KEYS) as Array<[keyof GenerationOptions, string]>) {
    if (options[name] !== undefined) out[key] = options[name];
  }
  return out;
}

/**
 * The model's generation config, as `model.generation_config` is built in
 * Python: `generation_config.json` when the checkpoint has one; otherwise the
 * non-null generation keys of `config.json`'s top level, then the decoder
 * sub-config's for what is still unset.
 */
export function modelGenerationConfig(config: RawConfig, generationJson: RawConfig | undefined, where = 'config.json'): GenerationOptions {
  if (generationJson !== undefined) return fromJson(generationJson, 'generation_config.json');
  const top = fromJson(config, where);
  const decoder = isRecord(config.decoder) ? fromJson(config.decoder, `${where} "decoder"`) : {};
  const merged: GenerationOptions = { ...top };
  for (const [k, v] of Object.entries(decoder) as Array<[keyof GenerationOptions, never]>) {
    const isDefault = merged[k] === undefined || merged[k] === (GLOBAL_DEFAULTS as Record<string, unknown>)[k];
    if (isDefault) merged[k] = v;
  }
  return merged;
}

export interface ResolvedGeneration {
  maxLength: number;
  minLength: number;
  doSample: boolean;
  numBeams: number;
  numReturnSequences: number;
  /** Per row start ids, or one id for every row. */
  decoderStartTokenId: number | number[];
  eosTokenIds: number[] | undefined;
  padTokenId: number | undefined;
  promptLength: number;
}

/**
 * Merges call options over the model's generation config over the global
 * defaults, and resolves lengths and special tokens exactly as Python does.
 */
export function resolveGeneration(model: GenerationOptions, call: GenerationOptions, promptLength: number): ResolvedGeneration {
  for (const [name, v] of Object.entries(call)) {
    if (v === undefined) continue;
    const kind = KINDS[name as keyof GenerationOptions];
    if (kind === undefined) throw new VedError('INVALID_OPTION', `Unknown generation option "${name}"; known: ${Object.keys(KEYS).join(', ')}.`);
    checkValue(name, kind, v, 'generate()');
  }
  const merged: GenerationOptions = { ...model };
  for (const [k, v] of Object.entries(call) as Array<[keyof GenerationOptions, never]>) if (v !== undefined) merged[k] = v;

  const start = merged.decoderStartTokenId ?? merged.bosTokenId;
  if (start === undefined) {
    throw new VedError(
      'INVALID_OPTION',
      '`decoder_start_token_id` or `bos_token_id` has to be defined for encoder-decoder generation (set it in generation_config.json or pass decoderStartTokenId).',
    );
  }
  const eos = merged.eosTokenId === undefined ? undefined : Array.isArray(merged.eosTokenId) ? merged.eosTokenId : [merged.eosTokenId];
  const pad = merged.padTokenId ?? eos?.[0];

  let maxLength: number;
  if (merged.maxNewTokens !== undefined) {
    if (merged.maxNewTokens < 1) throw new VedError('INVALID_OPTION', `"maxNewTokens" must be >= 1, got ${merged.maxNewTokens}.`);
    maxLength = promptLength + merged.maxNewTokens;
  } else if (call.maxLength === undefined && (merged.maxLength ?? GLOBAL_DEFAULTS.maxLength) === GLOBAL_DEFAULTS.maxLength) {
    // The model-agnostic default: 20 new tokens.
    maxLength = GLOBAL_DEFAULTS.maxLength + promptLength;
  } else {
    maxLength = merged.maxLength ?? GLOBAL_DEFAULTS.maxLength;
  }
  if (promptLength >= maxLength) {
    throw new VedError(
      'INVALID_OPTION',
      `Input length of decoder_input_ids is ${promptLength}, but \`max_length\` is set to ${maxLength}. Increase maxLength or set maxNewTokens.`,
    );
  }
  let minLength = merged.minLength ?? GLOBAL_DEFAULTS.minLength;
  if (merged.minNewTokens !== undefined) minLength = promptLength + merged.minNewTokens;

  const numBeams = merged.numBeams ?? GLOBAL_DEFAULTS.numBeams;
  const numReturnSequences = merged.numReturnSequences ?? GLOBAL_DEFAULTS.numReturnSequences;
  if (numBeams < 1) throw new VedError('INVALID_OPTION', `"numBeams" must be >= 1, got ${numBeams}.`);
  if (numReturnSequences < 1) throw new VedError('INVALID_OPTION', `"numReturnSequences" must be >= 1, got ${numReturnSequences}.`);
  const doSample = merged.doSample ?? GLOBAL_DEFAULTS.doSample;
  if (numBeams === 1 && !doSample && numReturnSequences > 1) {
    throw new VedError('INVALID_OPTION', `Greedy search returns one sequence per image: "numReturnSequences" is ${numReturnSequences}; use numBeams >= ${numReturnSequences} or doSample.`);
  }
  if (numReturnSequences > numBeams && numBeams > 1) {
    throw new VedError('INVALID_OPTION', `"numReturnSequences" (${numReturnSequences}) has to be smaller or equal to "numBeams" (${numBeams}).`);
  }
  return {
    maxLength,
    minLength,
    doSample,
    numBeams,
    numReturnSequences,
    decoderStartTokenId: start,
    eosTokenIds: eos,
    padTokenId: pad,
    promptLength,
  };
}

export { TOKEN_KEYS };
