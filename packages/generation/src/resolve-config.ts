/**
 * Merging and validating the generation options of one `generate()` call as
 * transformers 5.18 does (`_prepare_generation_config`, `GenerationConfig.validate`,
 * `get_generation_mode`, `_prepare_special_tokens`, `_prepare_generated_length`):
 * the errors are raised under the same conditions, with Python's messages.
 */
import { VedError } from '@ved/core';
import { GLOBAL_DEFAULTS, OPTION_NAMES, checkCallOptions, type GenerationOptions, type OptionName } from './generation-config.js';

/** Every option after merging; `undefined` is Python's None. */
export type MergedOptions = { [K in OptionName]: Exclude<GenerationOptions[K], null> | undefined };

export type GenerationMode = 'greedy' | 'sample' | 'beam_search' | 'beam_sample';

export interface MergedGeneration {
  options: MergedOptions;
  mode: GenerationMode;
  /** `decoder_start_token_id`, falling back to `bos_token_id`: one id, or one per image. */
  decoderStartTokenId: number | number[];
  /** eos as a list (Python always treats it as 1-D), or undefined. */
  eosTokenIds: number[] | undefined;
  /** pad, falling back to eos[0]. */
  padTokenId: number | undefined;
  /** Neither the call nor the model set `max_length`: 20 *new* tokens by default. */
  hasDefaultMaxLength: boolean;
  hasDefaultMinLength: boolean;
}

export interface Lengths {
  /** Total decoder length, prompt included. */
  maxLength: number;
  minLength: number | undefined;
  promptLength: number;
}

export type Warn = (message: string) => void;

function fail(message: string): never {
  throw new VedError('INVALID_OPTION', message);
}

/** Call options over the model's generation config over Python's global defaults. */
export function mergeGeneration(model: GenerationOptions, call: GenerationOptions, warn: Warn = () => {}): MergedGeneration {
  checkCallOptions(call);
  const options = {} as Record<OptionName, unknown>;
  for (const name of OPTION_NAMES) {
    const fromCall = call[name];
    const fromModel = model[name];
    const fallback = (GLOBAL_DEFAULTS as Partial<Record<OptionName, unknown>>)[name];
    // kwargs are applied last in Python, so an explicit None (null) in the call wins over the defaults.
    const v = fromCall !== undefined ? fromCall : fromModel !== undefined && fromModel !== null ? fromModel : fallback;
    options[name] = v === null ? undefined : v;
  }
  const o = options as MergedOptions;
  validate(o);
  const mode = generationMode(o);
  checkSupported(o, mode, warn);

  const start = o.decoderStartTokenId ?? o.bosTokenId;
  if (start === undefined) fail('`decoder_start_token_id` or `bos_token_id` has to be defined for encoder-decoder generation.');
  const eos = o.eosTokenId === undefined ? undefined : Array.isArray(o.eosTokenId) ? [...o.eosTokenId] : [o.eosTokenId];
  const pad = o.padTokenId ?? eos?.[0];
  return {
    options: o,
    mode,
    decoderStartTokenId: start,
    eosTokenIds: eos,
    padTokenId: pad,
    hasDefaultMaxLength: call.maxLength == null && model.maxLength == null,
    hasDefaultMinLength: call.minLength == null && model.minLength == null,
  };
}

/** `GenerationConfig.validate()`: the checks that raise. */
function validate(o: MergedOptions): void {
  const es = o.earlyStopping as unknown;
  if (es !== undefined && es !== true && es !== false && es !== 'never') {
    fail(`\`early_stopping\` must be a boolean or 'never', but is ${String(es)}.`);
  }
  if (o.maxNewTokens !== undefined && o.maxNewTokens <= 0) fail(`\`max_new_tokens\` must be greater than 0, but is ${o.maxNewTokens}.`);
  const nrs = o.numReturnSequences ?? 1;
  const beams = o.numBeams ?? 1;
  if (nrs > 1) {
    if (beams === 1) {
      if (!o.doSample) {
        fail(
          `Greedy methods (do_sample != True) without beam search do not support \`num_return_sequences\` different than 1 (got ${nrs}). ` +
            'Use numBeams >= numReturnSequences or doSample.',
        );
      }
    } else if (nrs > beams) {
      fail(`\`num_return_sequences\` (${nrs}) has to be smaller or equal to \`num_beams\` (${beams}).`);
    }
  }
  if (o.suppressTokens !== undefined) {
    const suppressed = new Set(o.suppressTokens);
    for (const [name, key] of [
      ['forcedBosTokenId', 'forced_bos_token_id'],
      ['forcedEosTokenId', 'forced_eos_token_id'],
    ] as const) {
      const forced = o[name];
      if (forced === undefined) continue;
      const ids = Array.isArray(forced) ? forced : [forced];
      if (ids.length > 0 && ids.every((t) => suppressed.has(t))) {
        fail(
          `Every token in \`${key}\` (${JSON.stringify([...new Set(ids)].sort((a, b) => a - b))}) is also in \`suppress_tokens\`. ` +
            'Forcing a token while suppressing it sets all logits to `-inf` at the forcing step, which produces `nan` probabilities ' +
            `and crashes generation. Remove the overlapping token(s) from either \`${key}\` or \`suppress_tokens\` (if you meant to ` +
            'prevent an early EOS token, use `min_new_tokens` instead).',
        );
      }
    }
  }
  if (!Number.isInteger(beams) || beams < 1) fail(`"numBeams" (num_beams) must be a positive integer, got ${beams}.`);
  if (!Number.isInteger(nrs) || nrs < 1) fail(`"numReturnSequences" (num_return_sequences) must be a positive integer, got ${nrs}.`);
}

const HUB_MODES: Record<string, string> = {
  'Constrained Beam Search': 'transformers-community/constrained-beam-search',
  'Contrastive Search': 'transformers-community/contrastive-search',
  'Group Beam Search': 'transformers-community/group-beam-search',
  'Dola Generation': 'transformers-community/dola',
};

function hubMode(name: string): never {
  fail(
    `${name} requires \`trust_remote_code=True\` in your \`generate\` call, since it loads https://hf.co/${HUB_MODES[name]}. ` +
      'ved runs no Hub code, so this mode is not available.',
  );
}

/** `GenerationConfig.get_generation_mode()`; modes moved to Hub repos raise as Python does without remote code. */
function generationMode(o: MergedOptions): GenerationMode {
  if (o.constraints != null || o.forceWordsIds != null) hubMode('Constrained Beam Search');
  let mode: GenerationMode;
  if (o.numBeams === undefined || o.numBeams === 1) {
    if (o.doSample !== true) {
      if (o.topK !== undefined && o.topK > 1 && o.penaltyAlpha !== undefined && o.penaltyAlpha > 0) hubMode('Contrastive Search');
      mode = 'greedy';
    } else {
      mode = 'sample';
    }
  } else if (o.numBeamGroups !== undefined && o.numBeamGroups > 1) {
    hubMode('Group Beam Search');
  } else {
    mode = o.doSample === true ? 'beam_sample' : 'beam_search';
  }
  if (o.dolaLayers != null && (mode === 'greedy' || mode === 'sample')) hubMode('Dola Generation');
  return mode;
}

function checkSupported(o: MergedOptions, mode: GenerationMode, warn: Warn): void {
  if (o.lowMemory === true && (mode === 'beam_search' || mode === 'beam_sample')) {
    fail('`low_memory=True` is not supported after the beam search refactor (transformers 5), nor by ved.');
  }
  const unsupported: Array<[boolean, string]> = [
    [o.guidanceScale !== undefined && o.guidanceScale !== 1, '"guidanceScale" (classifier-free guidance)'],
    [o.outputAttentions === true, '"outputAttentions"'],
    [o.outputHiddenStates === true, '"outputHiddenStates"'],
    [o.tokenHealing === true, '"tokenHealing"'],
    [o.watermarkingConfig != null, '"watermarkingConfig"'],
  ];
  for (const [active, what] of unsupported) {
    if (active) fail(`${what} is not supported by ved's generate(); unset it.`);
  }
  if (o.encoderRepetitionPenalty !== undefined && o.encoderRepetitionPenalty !== 1) {
    warn('Passing `encoder_repetition_penalty` requires some form of `input_ids` to be passed to `generate`, ignoring the argument.');
  }
  if (o.encoderNoRepeatNgramSize !== undefined && o.encoderNoRepeatNgramSize > 0) {
    warn('Passing `encoder_no_repeat_ngram_size` requires some form of `input_ids` to be passed to `generate`, ignoring the argument.');
  }
}

/**
 * `max_length` / `min_length` for a prompt of `promptLength` tokens:
 * `maxNewTokens` wins; otherwise an explicit `maxLength` is the total length;
 * otherwise 20 new tokens. `minNewTokens` sets `minLength = promptLength + minNewTokens`.
 */
export function prepareLengths(merged: MergedGeneration, promptLength: number, warn: Warn = () => {}): Lengths {
  const o = merged.options;
  let maxLength = o.maxLength ?? GLOBAL_DEFAULTS.maxLength;
  if (o.maxNewTokens !== undefined) {
    if (!merged.hasDefaultMaxLength && o.maxLength !== undefined) {
      warn(`Both \`max_new_tokens\` (=${o.maxNewTokens}) and \`max_length\`(=${o.maxLength}) seem to have been set. \`max_new_tokens\` will take precedence.`);
    }
    maxLength = o.maxNewTokens + promptLength;
  } else if (merged.hasDefaultMaxLength) {
    maxLength = maxLength + promptLength;
  }
  let minLength = o.minLength;
  if (o.minNewTokens !== undefined) {
    if (!merged.hasDefaultMinLength) {
      warn(`Both \`min_new_tokens\` (=${o.minNewTokens}) and \`min_length\`(=${o.minLength}) seem to have been set. \`min_new_tokens\` will take precedence.`);
    }
    minLength = o.minNewTokens + promptLength;
  }
  if (merged.hasDefaultMaxLength && o.maxNewTokens === undefined) {
    warn(
      `Using the model-agnostic default \`max_length\` (=${maxLength}) to control the generation length. ` +
        'We recommend setting `max_new_tokens` to control the maximum length of the generation.',
    );
  }
  if (promptLength >= maxLength) {
    fail(
      `Input length of decoder_input_ids is ${promptLength}, but \`max_length\` is set to ${maxLength}. This can lead to unexpected ` +
        'behavior. You should consider increasing `max_length` or, better yet, setting `max_new_tokens`.',
    );
  }
  if (minLength !== undefined && minLength > maxLength) {
    warn(`Unfeasible length constraints: \`min_length\` (${minLength}) is larger than the maximum possible length (${maxLength}).`);
  }
  return { maxLength, minLength, promptLength };
}

/** Merge, then lengths for a prompt of `promptLength` tokens (the whole of Python's config preparation). */
export function resolveGeneration(model: GenerationOptions, call: GenerationOptions, promptLength: number, warn: Warn = () => {}): MergedGeneration & Lengths {
  const merged = mergeGeneration(model, call, warn);
  return { ...merged, ...prepareLengths(merged, promptLength, warn) };
}
