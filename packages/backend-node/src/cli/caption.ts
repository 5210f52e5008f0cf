/**
 * `ved caption IMAGE... [--model DIR] [generation options] [--batch-size N] [--json]`
 *
 * Without --model, the embedded default model (`@ved/default-model`, one line of
 * printed text) reads the images.
 *
 * Generation options: `--generation-config <JSON or file>` with Python's
 * snake_case keys (as `generate(**kwargs)`), then the common flags, which win:
 * --max-new-tokens --min-new-tokens --num-beams --num-return-sequences
 * --do-sample --top-k --top-p --temperature --seed --length-penalty
 * --early-stopping true|false|never --repetition-penalty --no-repeat-ngram-size.
 *
 * With --json, one line per image in the order given:
 * `{"image": "<path>", "sequences": [{"ids": [...], "text": "...", "score": -0.93}]}`,
 * one entry per returned sequence in Python's order (best first); `score`
 * (Python's length-penalised `sequences_scores`) only with beam search.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { VedError, isRecord } from '@ved/core';
import { generationOptionsFromJson, type GenerationOptions } from '@ved/generation';
import { defaultModelDir } from '@ved/default-model';
import { ImageToText } from '../pipeline.js';
import { positiveInt, usage, UsageError } from './args.js';
import { FORMAT_FLAG_OPTIONS, formatOptionsFromFlags } from '../exports/format-flags.js';

const FLAGS = {
  'max-new-tokens': 'int',
  'min-new-tokens': 'int',
  'num-beams': 'int',
  'num-return-sequences': 'int',
  'top-k': 'int',
  'no-repeat-ngram-size': 'int',
  seed: 'int',
  'top-p': 'number',
  temperature: 'number',
  'length-penalty': 'number',
  'repetition-penalty': 'number',
  'early-stopping': 'earlyStopping',
} as const;

type Flag = keyof typeof FLAGS;

const OPTION_OF: Record<Flag, keyof GenerationOptions> = {
  'max-new-tokens': 'maxNewTokens',
  'min-new-tokens': 'minNewTokens',
  'num-beams': 'numBeams',
  'num-return-sequences': 'numReturnSequences',
  'top-k': 'topK',
  'no-repeat-ngram-size': 'noRepeatNgramSize',
  seed: 'seed',
  'top-p': 'topP',
  temperature: 'temperature',
  'length-penalty': 'lengthPenalty',
  'repetition-penalty': 'repetitionPenalty',
  'early-stopping': 'earlyStopping',
};

function flagValue(flag: Flag, raw: string): number | boolean | 'never' {
  const kind = FLAGS[flag];
  if (kind === 'earlyStopping') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    if (raw === 'never') return 'never';
    throw new UsageError(`--early-stopping must be true, false or never, got ${JSON.stringify(raw)}`);
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} must be ${kind === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** `--generation-config`: inline JSON (starts with `{`) or a JSON file. */
async function readGenerationConfig(value: string): Promise<GenerationOptions> {
  const inline = value.trimStart().startsWith('{');
  let text = value;
  if (!inline) {
    try {
      text = await readFile(value, 'utf8');
    } catch (err) {
      throw new UsageError(`--generation-config: cannot read ${JSON.stringify(value)} (${(err as Error).message}); give a JSON object or a JSON file`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--generation-config: ${inline ? 'the argument' : value} is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(json)) throw new UsageError('--generation-config must hold a JSON object of snake_case generation options');
  return generationOptionsFromJson(json, `--generation-config ${inline ? '(inline)' : value}`, 'call');
}

export async function runCaption(argv: string[]): Promise<void> {
  const flagOptions = Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }]));
  const { values, positionals } = usage(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        'batch-size': { type: 'string' },
        'generation-config': { type: 'string' },
        'do-sample': { type: 'boolean' },
        json: { type: 'boolean', default: false },
        ...FORMAT_FLAG_OPTIONS,
        ...flagOptions,
      },
    }),
  );
  if (positionals.length === 0) throw new UsageError('give at least one IMAGE');
  const batchSize = positiveInt('batch-size', values['batch-size'] as string | undefined, 8)!;

  const options: GenerationOptions = values['generation-config'] === undefined ? {} : await readGenerationConfig(values['generation-config'] as string);
  const flags = values as Record<string, string | boolean | undefined>;
  for (const flag of Object.keys(FLAGS) as Flag[]) {
    const raw = flags[flag];
    if (typeof raw === 'string') (options as Record<string, unknown>)[OPTION_OF[flag]] = flagValue(flag, raw);
  }
  if (flags['do-sample'] === true) options.doSample = true;
  // Beam entries carry Python's `sequences_scores`, which generate() returns with these two.
  const withScores: GenerationOptions = { ...options, returnDictInGenerate: true, outputScores: true };

  const pipe = await ImageToText.fromPretrained((values.model as string | undefined) ?? defaultModelDir, formatOptionsFromFlags(values));
  try {
    for (let start = 0; start < positionals.length; start += batchSize) {
      const paths = positionals.slice(start, start + batchSize);
      const result = await pipe.generate(paths, values.json ? withScores : options);
      const perImage = result.sequences.length / paths.length;
      if (!Number.isInteger(perImage)) throw new VedError('RUNTIME', `generate() returned ${result.sequences.length} sequences for ${paths.length} images.`);
      paths.forEach((image, i) => {
        const entries = Array.from({ length: perImage }, (_, j) => {
          const k = i * perImage + j;
          const score = result.sequencesScores?.[k];
          return { ids: result.sequences[k]!, text: result.texts[k] ?? '', ...(score === undefined ? {} : { score }) };
        });
        if (values.json) process.stdout.write(`${JSON.stringify({ image, sequences: entries })}\n`);
        else for (const e of entries) process.stdout.write(`${image}\t${e.text}\n`);
      });
    }
  } finally {
    await pipe.dispose();
  }
}
