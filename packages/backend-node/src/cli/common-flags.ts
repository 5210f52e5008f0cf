/**
 * Flag tables shared by the commands that load a model (`--model`, `--format`,
 * `--dtype`) and by those that generate (Python's `generate(**kwargs)` names
 * in kebab-case), with their conversion to ved's options.
 */
import { generationOptionsFromJson, type GenerationOptions } from '@ved/generation';
import { formatOptionsFromFlags } from '../exports/format-flags.js';
import type { FormatOptions } from '../exports/load.js';
import { isInlineGenerationConfig, readGenerationConfigFlag } from './generation-config-flag.js';
import { UsageError, type FlagTable, type FlagValues } from './args.js';

export const MODEL_FLAGS = {
  model: {
    type: 'string',
    metavar: 'DIR',
    group: 'model',
    defaultText: 'the embedded default model, which reads one line of printed text',
    help: 'checkpoint directory, ONNX export directory, URL or hub repository id (owner/name)',
  },
  format: {
    type: 'choice',
    choices: ['safetensors', 'onnx'],
    group: 'model',
    defaultText: 'safetensors when present, else the ONNX export',
    help: 'which weights to load',
  },
  dtype: {
    type: 'string',
    metavar: 'DTYPE',
    group: 'model',
    help: 'safetensors: weight storage fp32|fp16|q8|q4; ONNX exports: the file variant (fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4), or per file: encoder_model=fp32,decoder_model_merged=q8',
  },
} as const satisfies FlagTable;

export function formatOptions(values: FlagValues<typeof MODEL_FLAGS>): FormatOptions {
  return formatOptionsFromFlags(values);
}

const G = 'generation (override the checkpoint\'s generation_config.json)';

export const GENERATION_FLAGS = {
  'generation-config': {
    type: 'string',
    metavar: 'JSON|FILE',
    group: G,
    help: 'generation options as a JSON object or file, with Python\'s snake_case keys (as generate(**kwargs)); the flags below win over it',
  },
  'max-new-tokens': { type: 'integer', min: 1, group: G, help: 'most tokens to generate per sequence [max_new_tokens]' },
  'min-new-tokens': { type: 'integer', min: 0, group: G, help: 'fewest tokens before the end token is allowed [min_new_tokens]' },
  'num-beams': { type: 'integer', min: 1, group: G, help: 'beam search with N beams; 1 is greedy or sampling [num_beams]' },
  'num-return-sequences': { type: 'integer', min: 1, group: G, help: 'sequences returned per image (≤ num beams with beam search) [num_return_sequences]' },
  'do-sample': { type: 'boolean', group: G, help: 'multinomial sampling instead of greedy / beam search [do_sample]' },
  'top-k': { type: 'integer', min: 0, group: G, help: 'sample among the K most likely tokens; 0 disables [top_k]' },
  'top-p': { type: 'number', metavar: 'P', min: 0, max: 1, group: G, help: 'nucleus sampling: the smallest set of tokens whose probability reaches P [top_p]' },
  temperature: { type: 'number', metavar: 'T', min: 0, exclusiveMin: true, group: G, help: 'divides the logits before sampling [temperature]' },
  seed: { type: 'integer', min: 0, group: G, help: 'seed of the sampling random numbers (same seed, same output)' },
  'length-penalty': { type: 'number', group: G, help: 'beam search: exponent of the length in the score; > 0 favours longer sequences [length_penalty]' },
  'early-stopping': {
    type: 'choice',
    choices: ['true', 'false', 'never'],
    group: G,
    help: 'beam search: stop when num_beams sequences are done (true), by the heuristic (false) or only when no better one can come (never) [early_stopping]',
  },
  'repetition-penalty': { type: 'number', metavar: 'X', min: 0, exclusiveMin: true, group: G, help: 'penalises tokens already generated; 1 is none [repetition_penalty]' },
  'no-repeat-ngram-size': { type: 'integer', min: 0, group: G, help: 'no n-gram of this size occurs twice; 0 disables [no_repeat_ngram_size]' },
} as const satisfies FlagTable;

type GenerationFlag = Exclude<keyof typeof GENERATION_FLAGS, 'generation-config' | 'do-sample' | 'early-stopping'>;

const OPTION_OF: Record<GenerationFlag, keyof GenerationOptions> = {
  'max-new-tokens': 'maxNewTokens',
  'min-new-tokens': 'minNewTokens',
  'num-beams': 'numBeams',
  'num-return-sequences': 'numReturnSequences',
  'top-k': 'topK',
  'top-p': 'topP',
  temperature: 'temperature',
  seed: 'seed',
  'length-penalty': 'lengthPenalty',
  'repetition-penalty': 'repetitionPenalty',
  'no-repeat-ngram-size': 'noRepeatNgramSize',
};

/** `--generation-config`: inline JSON (starts with `{`) or a JSON file, as ved's options. */
async function readGenerationConfig(value: string): Promise<GenerationOptions> {
  const json = await readGenerationConfigFlag(value);
  return generationOptionsFromJson(json, `--generation-config ${isInlineGenerationConfig(value) ? '(inline)' : value}`, 'call');
}

/** The generation options of the flags: `--generation-config` first, then each flag given. */
export async function generationOptions(values: FlagValues<typeof GENERATION_FLAGS>): Promise<GenerationOptions> {
  const options: GenerationOptions = values['generation-config'] === undefined ? {} : await readGenerationConfig(values['generation-config']);
  const set = options as Record<string, unknown>;
  for (const [flag, key] of Object.entries(OPTION_OF) as [GenerationFlag, keyof GenerationOptions][]) {
    const v = values[flag];
    if (v !== undefined) set[key] = v;
  }
  if (values['do-sample']) options.doSample = true;
  const early = values['early-stopping'];
  if (early !== undefined) options.earlyStopping = early === 'never' ? 'never' : early === 'true';
  return options;
}
