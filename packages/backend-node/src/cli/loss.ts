/**
 * `ved loss IMAGE... --model DIR (--text "..." | --labels 1,2,3) [--json]`:
 * the training loss of `forward(pixel_values, labels)` — the same labels for
 * every image; `--text` is tokenised as `tokenizer(text).input_ids`.
 */
import { VedError } from '@ved/core';
import { ImageToText } from '../pipeline.js';
import { defineCommand, runCommand, UsageError } from './args.js';
import { HARDENING_FLAGS, hardeningOptions } from './hardening-flags.js';

export const lossCommand = defineCommand({
  name: 'loss',
  summary: 'the training loss of images against labels (forward(pixel_values, labels).loss)',
  description: 'The same labels are used for every image; decoder inputs are the labels shifted right, and -100 is ignored, as in Python.',
  positionals: { name: 'IMAGE', min: 1, help: 'PNG, JPEG, WebP, TIFF, GIF or BMP files' },
  flags: {
    model: { type: 'string', metavar: 'DIR', required: true, help: 'checkpoint directory, URL or hub repository id' },
    text: { type: 'string', metavar: 'TEXT', help: 'the target text, tokenised as tokenizer(text).input_ids (give this or --labels)' },
    labels: { type: 'string', metavar: 'IDS', help: 'the target token ids, comma-separated (give this or --text)' },
    json: { type: 'boolean', help: 'print {"loss": x}' },
    ...HARDENING_FLAGS,
  },
  examples: ['ved loss line.png --model ./my-ocr --text "Hello world" --json'],
  async run({ values, positionals }) {
    if ((values.text === undefined) === (values.labels === undefined)) throw new UsageError('give exactly one of --text or --labels');
    let labels: number[] | undefined;
    if (values.labels !== undefined) {
      labels = values.labels.split(',').map((s) => {
        const n = Number(s.trim());
        if (s.trim() === '' || !Number.isInteger(n)) throw new UsageError(`--labels must be comma-separated integers, got ${JSON.stringify(values.labels)}`);
        return n;
      });
    }
    const pipe = await ImageToText.fromPretrained(values.model, hardeningOptions(values));
    try {
      if (labels === undefined) {
        if (pipe.tokenizer === undefined) throw new VedError('FILE_NOT_FOUND', `${values.model} has no tokenizer.json, so --text cannot be tokenised; use --labels.`);
        labels = pipe.tokenizer.encode(values.text!);
      }
      const pixelValues = await pipe.preprocess(positionals);
      const { loss } = await pipe.model.forward({ pixelValues, labels: positionals.map(() => labels!) });
      process.stdout.write(values.json ? `${JSON.stringify({ loss })}\n` : `loss: ${loss}\n`);
    } finally {
      await pipe.dispose();
    }
  },
});

/** `ved loss ...argv` (without plugin loading). */
export const runLoss = (argv: string[]): Promise<void> => runCommand(lossCommand, argv);
