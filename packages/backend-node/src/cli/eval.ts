/**
 * `ved eval --manifest FILE [--model DIR] [model and generation options] [--batch-size N] [--json] [--errors]`
 *
 * Reads every image of a JSON-lines manifest (`{"image": path, "text": expected}`)
 * and prints the exact-match rate, the character error rate and the word error rate. `--model`
 * defaults to the embedded default model; `--dtype q8` measures the accuracy of
 * int8 weights. With --json, one line: `{"images": N, "exact_match": x, "cer": y, "wer": z}`.
 * With --errors, each wrong reading is listed as `line<TAB>image<TAB>expected<TAB>read`.
 */
import { defaultModelDir } from '@ved/default-model';
import { checkManifest, evaluate, streamManifest } from '../eval.js';
import { ImageToText } from '../pipeline.js';
import { UsageError, defineCommand, runCommand } from './args.js';
import { GENERATION_FLAGS, MODEL_FLAGS, formatOptions, generationOptions } from './common-flags.js';
import { HARDENING_FLAGS, hardeningOptions } from './hardening-flags.js';
import { progressBar } from './progress.js';
import { CACHE_FLAGS, cacheLoadOptions } from './cache-flags.js';

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'exact-match rate, character error rate (CER) and word error rate (WER) of a model on a JSON-lines manifest of {"image", "text"}',
  description:
    'Image paths in the manifest are absolute or relative to the manifest. The whole manifest is checked before the model loads. ' +
    'A progress bar (images done, ETA) is drawn on stderr when it is a terminal.',
  flags: {
    manifest: { type: 'string', metavar: 'FILE', required: true, help: 'JSON lines, one {"image": PATH, "text": EXPECTED} per image' },
    ...MODEL_FLAGS,
    ...HARDENING_FLAGS,
    ...CACHE_FLAGS,
    'batch-size': { type: 'integer', min: 1, default: 16, help: 'images per generate() call' },
    json: { type: 'boolean', help: 'print one JSON line {"images", "exact_match", "cer", "wer"}' },
    errors: { type: 'boolean', help: 'list each wrong reading as line<TAB>image<TAB>expected<TAB>read' },
    'post-process': {
      type: 'boolean',
      help: 'Nougat checkpoints: score the texts after NougatProcessor.post_process_generation, as ved caption --post-process prints them',
    },
    'no-fix-markdown': { type: 'boolean', help: 'with --post-process: fix_markdown=False' },
    ...GENERATION_FLAGS,
  },
  examples: ['ved eval --manifest held-out/manifest.jsonl', 'ved eval --manifest test.jsonl --model ./my-ocr --dtype q8 --json'],
  async run({ values }) {
    const generation = await generationOptions(values);
    if (values['no-fix-markdown'] && !values['post-process']) throw new UsageError('--no-fix-markdown needs --post-process');
    // Check the whole manifest before loading the model, so that a bad line fails fast; it streams
    // (first bad line first, memory bounded), and so does the evaluation, which keeps no predictions.
    const total = await checkManifest(values.manifest);
    const pipe = await ImageToText.fromPretrained(values.model ?? defaultModelDir, { ...formatOptions(values), ...hardeningOptions(values), ...cacheLoadOptions(values) });
    const bar = progressBar({ quiet: values.quiet, total, unit: 'images' });
    try {
      const fixMarkdown = !values['no-fix-markdown'];
      if (values['post-process']) pipe.postProcessGeneration([]); // refused before generating for a checkpoint without it
      const result = await evaluate(pipe, streamManifest(values.manifest, { checkImages: false }), {
        batchSize: values['batch-size'],
        generation,
        total,
        keepPredictions: false,
        ...(values['post-process'] ? { postProcess: (text: string) => pipe.postProcessGeneration(text, { fixMarkdown }) } : {}),
        onProgress: (done) => bar.update(done),
        onPrediction: ({ entry, text }) => {
          if (values.errors && text !== entry.text) process.stdout.write(`${entry.line}\t${entry.image}\t${JSON.stringify(entry.text)}\t${JSON.stringify(text)}\n`);
        },
      });
      bar.stop();
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ images: result.images, exact_match: result.exactMatch, cer: result.cer, wer: result.wer })}\n`);
      } else {
        const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
        process.stdout.write(
          `images: ${result.images}\n` +
            `exact match: ${pct(result.exactMatch)} (${result.exact}/${result.images})\n` +
            `CER: ${pct(result.cer)} (${result.edits} edits / ${result.referenceChars} reference characters)\n` +
            `WER: ${pct(result.wer)} (${result.wordEdits} edits / ${result.referenceWords} reference words)\n`,
        );
      }
    } finally {
      bar.stop();
      await pipe.dispose();
    }
  },
});

/** `ved eval ...argv` (without plugin loading). */
export const runEval = (argv: string[]): Promise<void> => runCommand(evalCommand, argv);
