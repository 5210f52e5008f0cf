/**
 * Generation options of an HTTP request: snake_case query parameters
 * (`?max_new_tokens=20&num_beams=3&do_sample=true`) or a JSON
 * `generation_config` object, both with Python's names and checked as
 * `generate(**kwargs)` checks them (`INVALID_OPTION` naming the key). The
 * server decides what a response holds, so the output switches are refused,
 * and `--max-new-tokens-cap` bounds the work of one request.
 */
import { VedError, isRecord } from '@ved/core';
import { generationOptionsFromJson, mergeGeneration, prepareLengths, type GenerationOptions } from '@ved/generation';

/** Switches of the output format: the server sets them itself. */
const SERVER_KEYS = new Set(['return_dict_in_generate', 'output_scores', 'output_logits', 'output_attentions', 'output_hidden_states']);

/** A query value as JSON when it reads as JSON (`3`, `true`, `null`, `[[1, 2]]`, `"x"`), else the string itself (`never`). */
function queryValue(key: string, raw: unknown): unknown {
  if (Array.isArray(raw)) throw new VedError('INVALID_OPTION', `query parameter "${key}" is given ${raw.length} times; give it once.`);
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function checked(json: Record<string, unknown>, where: string): GenerationOptions {
  for (const key of Object.keys(json)) {
    if (SERVER_KEYS.has(key)) {
      throw new VedError('INVALID_OPTION', `${where}: "${key}" is set by the server (responses carry ids, text and, with beams, scores); remove it.`);
    }
  }
  return generationOptionsFromJson(json, where, 'call');
}

/** Options from the query string of `POST /v1/caption` with an image body. */
export function optionsFromQuery(query: Record<string, unknown>): GenerationOptions {
  const json: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(query)) json[key] = queryValue(key, raw);
  return checked(json, 'query');
}

/** Options from the `generation_config` member of a JSON body. */
export function optionsFromJson(value: unknown): GenerationOptions {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new VedError('INVALID_OPTION', `"generation_config" must be a JSON object of snake_case generation options, got ${JSON.stringify(value)?.slice(0, 80)}.`);
  return checked(value, 'generation_config');
}

/**
 * Bounds the new tokens of a request by `cap`: a request that asks for more
 * (`max_new_tokens` or `max_length`) is refused; one that sets neither and
 * inherits more from the model's generation config gets `max_new_tokens = cap`.
 * Also raises the option errors `generate()` would raise, before any work.
 */
export function applyTokenCap(options: GenerationOptions, modelConfig: GenerationOptions, cap: number): GenerationOptions {
  const merged = mergeGeneration(modelConfig, options);
  const promptLength = 1;
  const asked = prepareLengths(merged, promptLength).maxLength - promptLength;
  if (asked <= cap) return options;
  if (options.maxNewTokens != null || options.maxLength != null) {
    throw new VedError(
      'INVALID_OPTION',
      `the request asks for up to ${asked} new tokens (${options.maxNewTokens != null ? `max_new_tokens ${options.maxNewTokens}` : `max_length ${options.maxLength}`}); this server generates at most ${cap} (--max-new-tokens-cap).`,
    );
  }
  return { ...options, maxNewTokens: cap };
}

/** Beam search (and beam sampling) requests: their responses carry Python's `sequences_scores`. */
export function usesBeams(options: GenerationOptions, modelConfig: GenerationOptions): boolean {
  return (mergeGeneration(modelConfig, options).options.numBeams ?? 1) > 1;
}
