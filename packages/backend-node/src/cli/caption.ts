/**
 * `ved caption IMAGE... [--model DIR] [generation options] [--batch-size N] [--json]`
 *
 * Without --model, the embedded default model (`@ved/default-model`, one line
 * of printed text) reads the images. With --json, one line per image in the
 * order given: `{"image": "<path>", "sequences": [{"ids": [...], "text": "...", "score": -0.93}]}`,
 * one entry per returned sequence in Python's order (best first); `score`
 * (Python's length-penalised `sequences_scores`) only with beam search; with
 * --post-process (Nougat checkpoints) also `"post_processed"`, the text after
 * `post_process_generation`, which the plain output prints in place of the text.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VedError } from '@ved/core';
import type { GenerationOptions } from '@ved/generation';
import { defaultModelDir } from '@ved/default-model';
import { ImageToText } from '../pipeline.js';
import { UsageError, defineCommand, runCommand } from './args.js';
import { GENERATION_FLAGS, MODEL_FLAGS, formatOptions, generationOptions } from './common-flags.js';
import { HARDENING_FLAGS, hardeningOptions } from './hardening-flags.js';
import { progressBar } from './progress.js';
import { captionEntries, noTokenizerWarning, plainLine } from './caption-output.js';
import { CACHE_FLAGS, cacheLoadOptions, sinceStart, timingLine } from './cache-flags.js';

export const captionCommand = defineCommand({
  name: 'caption',
  summary: 'read or caption images with a VisionEncoderDecoder checkpoint (default: the embedded model, which reads one line of printed text)',
  description:
    'Prints `IMAGE<TAB>text` per returned sequence, or with --json one JSON line per image: ' +
    '{"image", "sequences": [{"ids", "text", "score"}]} (score: beam search\'s length-penalised sequences_scores; "post_processed" with --post-process). ' +
    'A checkpoint without a tokenizer prints the ids as a JSON array in place of the text ("text": null with --json), after a warning on stderr. ' +
    'A progress bar is drawn on stderr when stderr is a terminal and stdout is not (e.g. `ved caption *.png > out.tsv`).',
  positionals: { name: 'IMAGE', min: 1, help: 'PNG, JPEG, WebP, TIFF, GIF or BMP files, file: URLs or http(s): URLs' },
  flags: {
    ...MODEL_FLAGS,
    ...HARDENING_FLAGS,
    ...CACHE_FLAGS,
    'batch-size': { type: 'integer', min: 1, default: 8, help: 'images per generate() call' },
    json: { type: 'boolean', help: 'one JSON line per image with ids, text and (beam search) scores' },
    'post-process': {
      type: 'boolean',
      help: 'Nougat checkpoints: clean each text up as NougatProcessor.post_process_generation does (printed in place of the text; with --json in "post_processed")',
    },
    'no-fix-markdown': { type: 'boolean', help: 'with --post-process: fix_markdown=False (no Markdown-compatible equations, URLs and code blocks)' },
    ...GENERATION_FLAGS,
  },
  examples: [
    'ved caption line.png',
    'ved caption photo.jpg --model ./vit-gpt2-coco --num-beams 4 --max-new-tokens 20 --json',
    'ved caption scans/*.png --model Xenova/trocr-small-printed --dtype q8 > texts.tsv',
  ],
  async run({ values, positionals }) {
    const options: GenerationOptions = await generationOptions(values);
    // Beam entries carry Python's `sequences_scores`, which generate() returns with these two.
    const withScores: GenerationOptions = { ...options, returnDictInGenerate: true, outputScores: true };
    const batchSize = values['batch-size'];
    const timing = cacheLoadOptions(values);
    const verbose = (line: string) => void (values.verbose && process.stderr.write(line));
    const modelDir = values.model ?? defaultModelDir;
    const prepackWeights = positionals.length === 1 ? await oneImagePrepacking(modelDir, options) : undefined;
    const pipe = await ImageToText.fromPretrained(modelDir, { ...formatOptions(values), ...hardeningOptions(values), ...timing, ...(prepackWeights ? { prepackWeights } : {}) });
    verbose(timingLine('model ready, since process start', sinceStart()));
    // Without a tokenizer the ids are printed in place of text, after one warning (caption-output.ts).
    const hasTokenizer = pipe.tokenizer !== undefined;
    if (values['no-fix-markdown'] && !values['post-process']) throw new UsageError('--no-fix-markdown needs --post-process');
    const postProcess = values['post-process']
      ? (text: string) => pipe.postProcessGeneration(text, { fixMarkdown: !values['no-fix-markdown'] })
      : undefined;
    // Refused before generating when the checkpoint has no such step (and without a tokenizer there is no text).
    if (postProcess !== undefined) {
      if (!hasTokenizer) throw new VedError('INVALID_OPTION', `--post-process cleans up decoded text, and ${modelDir} has no tokenizer.`);
      pipe.postProcessGeneration([]);
    }
    if (!hasTokenizer) process.stderr.write(noTokenizerWarning(values.model ?? defaultModelDir));
    const bar = progressBar({ quiet: values.quiet || process.stdout.isTTY === true || positionals.length <= batchSize, total: positionals.length, unit: 'images' });
    try {
      for (let start = 0; start < positionals.length; start += batchSize) {
        const images = positionals.slice(start, start + batchSize);
        const started = performance.now();
        const result = await pipe.generate(images, values.json ? withScores : options);
        verbose(timingLine(`generate (${images.length} image${images.length === 1 ? '' : 's'}, images read and preprocessed included)`, performance.now() - started));
        const perImage = result.sequences.length / images.length;
        if (!Number.isInteger(perImage)) throw new VedError('RUNTIME', `generate() returned ${result.sequences.length} sequences for ${images.length} images.`);
        images.forEach((image, i) => {
          const entries = captionEntries(result, i, perImage, hasTokenizer).map((e) => (postProcess && e.text !== null ? { ...e, post_processed: postProcess(e.text) } : e));
          if (values.json) process.stdout.write(`${JSON.stringify({ image, sequences: entries })}\n`);
          else for (const e of entries) process.stdout.write(plainLine(image, e));
        });
        bar.update(start + images.length);
      }
    } finally {
      bar.stop();
      await pipe.dispose();
      verbose(timingLine('done, since process start', sinceStart()));
    }
  },
});

/**
 * One image: onnxruntime's weight repacking (most of a load) costs more than it saves. The encoder
 * runs once, so it skips it; the decoder too when each step has one row (greedy or one sample: no
 * beams, one sequence), since repacking only pays off for products of several rows (docs/cold-start.md).
 */
export async function oneImagePrepacking(modelDir: string, options: GenerationOptions): Promise<{ encoder: boolean; decoder: boolean }> {
  let saved: { num_beams?: unknown; num_return_sequences?: unknown } = {};
  try {
    saved = JSON.parse(await readFile(join(modelDir, 'generation_config.json'), 'utf8')) as typeof saved;
  } catch {
    // No readable generation config (a hub-style name, or none): the defaults, as generate() uses.
  }
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 1);
  const rows = Math.max(options.numBeams ?? count(saved.num_beams), options.numReturnSequences ?? count(saved.num_return_sequences));
  return { encoder: false, decoder: rows > 1 };
}

/** `ved caption ...argv` (without plugin loading). */
export const runCaption = (argv: string[]): Promise<void> => runCommand(captionCommand, argv);
