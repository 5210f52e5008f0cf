/**
 * The options of one captioning call, the same on every backend: Python's
 * generation options (camelCase, as `GenerationOptions`) plus what a call
 * needs around them (cancellation, token callbacks, decoder prompts, streaming
 * under beams, custom processors). `splitCaptionOptions` separates the two;
 * `fromPipelineKwargs` also takes the snake_case keys transformers.js and
 * Python users pass (`{ max_new_tokens: 20 }`).
 */
import { VedError, isRecord } from '@ved/core';
import {
  GENERATION_OPTION_NAMES,
  generationOptionsFromJson,
  type GenerateInputs,
  type GenerationOptions,
} from '@ved/generation';
import type { BeamStreaming } from './beam-streaming.js';
import type { TokenCallback } from './token-events.js';

export interface RunOptions {
  /** Cancels the call (image fetching, decoding, generation); it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every generated step with the new tokens and each row's text so far. */
  onToken?: TokenCallback;
  /**
   * A decoder prompt as token ids: one row for every image, or one row per image (all the same
   * length). The start token is prepended unless a row starts with it (never for Donut encoders).
   */
  decoderInputIds?: readonly number[] | readonly (readonly number[])[];
  /**
   * A decoder prompt as text (e.g. Donut's `<s_cord-v2>`), tokenized without special tokens
   * (`tokenizer(prompt, add_special_tokens=False).input_ids`): one for every image, or one per image.
   */
  prompt?: string | readonly string[];
  /** What streaming (`stream()`, `onToken`) does when the generation config asks for beams (see docs/api.md). */
  beamStreaming?: BeamStreaming;
  /** Extra logits processors (see `generate()`). */
  logitsProcessor?: GenerateInputs['logitsProcessor'];
  /** Extra stopping criteria (see `generate()`). */
  stoppingCriteria?: GenerateInputs['stoppingCriteria'];
  /** Python's `prefix_allowed_tokens_fn`. */
  prefixAllowedTokensFn?: GenerateInputs['prefixAllowedTokensFn'];
  /** Where Python's warnings go (default: `console.warn`, once per message). */
  onWarning?: (message: string) => void;
  /** Accept images whose size differs from the encoder's config (Python's `interpolate_pos_encoding`). */
  interpolatePosEncoding?: boolean;
}

/** Everything one `generate()` / `stream()` call takes. */
export type CaptionOptions = GenerationOptions & RunOptions;

const RUN_KEYS: ReadonlySet<string> = new Set<keyof RunOptions>([
  'signal',
  'onToken',
  'decoderInputIds',
  'prompt',
  'beamStreaming',
  'logitsProcessor',
  'stoppingCriteria',
  'prefixAllowedTokensFn',
  'onWarning',
  'interpolatePosEncoding',
]);

/** Splits a call's options into generation options and the rest. */
export function splitCaptionOptions(options: CaptionOptions): { generation: GenerationOptions; run: RunOptions } {
  if (!isRecord(options)) throw new VedError('INVALID_OPTION', `The options must be an object, got ${options === null ? 'null' : typeof options}.`);
  const generation: Record<string, unknown> = {};
  const run: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    (RUN_KEYS.has(key) ? run : generation)[key] = value;
  }
  return { generation: generation as GenerationOptions, run: run as RunOptions };
}

const CAMEL: ReadonlySet<string> = new Set<string>([...GENERATION_OPTION_NAMES, ...RUN_KEYS]);

/**
 * Options as `pipeline()` callers write them: ved's camelCase names, or the
 * snake_case generation keys of Python and transformers.js (`max_new_tokens`,
 * `num_beams`, …), converted and checked as Python checks `generate(**kwargs)`.
 */
export function fromPipelineKwargs(options: Record<string, unknown> = {}): CaptionOptions {
  if (!isRecord(options)) throw new VedError('INVALID_OPTION', `The generation options must be an object, got ${options === null ? 'null' : typeof options}.`);
  const camel: Record<string, unknown> = {};
  const snake: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) (CAMEL.has(key) ? camel : snake)[key] = value;
  const converted = Object.keys(snake).length === 0 ? {} : generationOptionsFromJson(snake, 'pipeline call options', 'call');
  for (const key of Object.keys(converted)) {
    if (key in camel) throw new VedError('INVALID_OPTION', `pipeline call options: "${key}" is given twice (camelCase and snake_case); keep one.`);
  }
  return { ...converted, ...camel } as CaptionOptions;
}
