/**
 * `ved caption IMAGE... --model DIR [--max-new-tokens N] [--batch-size N] [--json]`
 *
 * With --json, one line per image in the order given:
 * `{"image": "<path>", "sequences": [{"ids": [...], "text": "..."}]}`.
 */
import { ImageToText } from '../pipeline.js';
import { parseArgs } from 'node:util';
import { positiveInt, usage, UsageError } from './args.js';

export async function runCaption(argv: string[]): Promise<void> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        'max-new-tokens': { type: 'string' },
        'batch-size': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }),
  );
  if (positionals.length === 0) throw new UsageError('give at least one IMAGE');
  if (values.model === undefined) throw new UsageError('--model DIR is required');
  const batchSize = positiveInt('batch-size', values['batch-size'], 8)!;
  const maxNewTokens = positiveInt('max-new-tokens', values['max-new-tokens']);

  const pipe = await ImageToText.fromPretrained(values.model);
  try {
    for (let start = 0; start < positionals.length; start += batchSize) {
      const paths = positionals.slice(start, start + batchSize);
      const result = await pipe.generate(paths, maxNewTokens === undefined ? {} : { maxNewTokens });
      paths.forEach((image, i) => {
        const ids = result.sequences[i]!;
        const text = result.texts[i] ?? '';
        if (values.json) process.stdout.write(`${JSON.stringify({ image, sequences: [{ ids, text }] })}\n`);
        else process.stdout.write(`${image}\t${text}\n`);
      });
    }
  } finally {
    await pipe.dispose();
  }
}
