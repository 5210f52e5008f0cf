/**
 * `ved loss IMAGE... --model DIR (--text "..." | --labels 1,2,3) [--json]`:
 * the training loss of `forward(pixel_values, labels)` — the same labels for
 * every image; `--text` is tokenised as `tokenizer(text).input_ids`.
 */
import { parseArgs } from 'node:util';
import { VedError } from '@ved/core';
import { ImageToText } from '../pipeline.js';
import { usage, UsageError } from './args.js';

export async function runLoss(argv: string[]): Promise<void> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { model: { type: 'string' }, text: { type: 'string' }, labels: { type: 'string' }, json: { type: 'boolean', default: false } },
    }),
  );
  if (positionals.length === 0) throw new UsageError('give at least one IMAGE');
  if (values.model === undefined) throw new UsageError('--model DIR is required');
  if ((values.text === undefined) === (values.labels === undefined)) throw new UsageError('give exactly one of --text or --labels');
  const pipe = await ImageToText.fromPretrained(values.model);
  try {
    let labels: number[];
    if (values.labels !== undefined) {
      labels = values.labels.split(',').map((s) => {
        const n = Number(s.trim());
        if (s.trim() === '' || !Number.isInteger(n)) throw new UsageError(`--labels must be comma-separated integers, got ${JSON.stringify(values.labels)}`);
        return n;
      });
    } else {
      if (pipe.tokenizer === undefined) throw new VedError('FILE_NOT_FOUND', `${values.model} has no tokenizer.json, so --text cannot be tokenised; use --labels.`);
      labels = pipe.tokenizer.encode(values.text!);
    }
    const pixelValues = await pipe.preprocess(positionals);
    const { loss } = await pipe.model.forward({ pixelValues, labels: positionals.map(() => labels) });
    process.stdout.write(values.json ? `${JSON.stringify({ loss })}\n` : `loss: ${loss}\n`);
  } finally {
    await pipe.dispose();
  }
}
