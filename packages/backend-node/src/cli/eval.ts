/**
 * `ved eval --manifest FILE [--model DIR] [--format F] [--dtype D] [--batch-size N] [--max-new-tokens N] [--num-beams N] [--json] [--errors]`
 *
 * Reads every image of a JSON-lines manifest (`{"image": path, "text": expected}`)
 * and prints the exact-match rate and the character error rate. `--model`
 * defaults to the embedded default model; --format and --dtype are caption's
 * (e.g. `--dtype q8` measures the accuracy of int8 weights). With --json, one line:
 * `{"images": N, "exact_match": x, "cer": y}`. With --errors, each wrong
 * reading is listed as `line<TAB>image<TAB>expected<TAB>read`.
 */
import { parseArgs } from 'node:util';
import { defaultModelDir } from '@ved/default-model';
import { evaluate, readManifest } from '../eval.js';
import { FORMAT_FLAG_OPTIONS, formatOptionsFromFlags } from '../exports/format-flags.js';
import { ImageToText } from '../pipeline.js';
import { positiveInt, usage, UsageError } from './args.js';

export async function runEval(argv: string[]): Promise<void> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        manifest: { type: 'string' },
        'batch-size': { type: 'string' },
        'max-new-tokens': { type: 'string' },
        'num-beams': { type: 'string' },
        json: { type: 'boolean', default: false },
        errors: { type: 'boolean', default: false },
        ...FORMAT_FLAG_OPTIONS,
      },
    }),
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; give the images in --manifest FILE`);
  if (values.manifest === undefined) throw new UsageError('--manifest FILE is required');
  const batchSize = positiveInt('batch-size', values['batch-size'], 16)!;
  const maxNewTokens = positiveInt('max-new-tokens', values['max-new-tokens']);
  const numBeams = positiveInt('num-beams', values['num-beams']);

  // Check the whole manifest before loading the model, so that a bad line fails fast.
  const entries = await readManifest(values.manifest);
  const pipe = await ImageToText.fromPretrained(values.model ?? defaultModelDir, formatOptionsFromFlags(values));
  try {
    const result = await evaluate(pipe, entries, {
      batchSize,
      generation: { ...(maxNewTokens === undefined ? {} : { maxNewTokens }), ...(numBeams === undefined ? {} : { numBeams }) },
    });
    if (values.errors) {
      for (const { entry, text } of result.predictions) {
        if (text !== entry.text) process.stdout.write(`${entry.line}\t${entry.image}\t${JSON.stringify(entry.text)}\t${JSON.stringify(text)}\n`);
      }
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ images: result.images, exact_match: result.exactMatch, cer: result.cer })}\n`);
    } else {
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      process.stdout.write(
        `images: ${result.images}\n` +
          `exact match: ${pct(result.exactMatch)} (${result.exact}/${result.images})\n` +
          `CER: ${pct(result.cer)} (${result.edits} edits / ${result.referenceChars} reference characters)\n`,
      );
    }
  } finally {
    await pipe.dispose();
  }
}
