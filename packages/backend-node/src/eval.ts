/**
 * Accuracy of an image-to-text checkpoint on a labelled set, measured by ved
 * itself: exact-match rate and character error rate (CER).
 *
 * A manifest is JSON lines, one `{"image": PATH, "text": EXPECTED}` per image;
 * PATH is absolute or relative to the manifest's directory. Blank lines are
 * skipped. CER is the Levenshtein distance (insertions, deletions and
 * substitutions of Unicode code points) summed over all images, divided by the
 * total number of reference characters.
 */
import { open, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TextScorer, VedError, type TextScore } from '@ved/core';
import type { GenerationOptions } from '@ved/generation';
import type { ImageToText } from './pipeline.js';

export interface ManifestEntry {
  /** Absolute path of the image. */
  image: string;
  /** Expected text. */
  text: string;
  /** 1-based line number in the manifest. */
  line: number;
}

/** Longest manifest line accepted (a line is one small JSON object; a longer one is a damaged file). */
export const MAX_MANIFEST_LINE_BYTES = 1 << 20;

/** Images checked for existence at once while streaming (their errors still come in line order). */
const STAT_WINDOW = 256;

/** Parses one manifest line (1-based `line`); undefined for a blank line. */
export function parseManifestLine(raw: string, line: number, source: string, baseDir: string): ManifestEntry | undefined {
  if (raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new VedError(
      'INVALID_INPUT',
      `${source}, line ${line}: not valid JSON (${(cause as Error).message}); expected {"image": "path", "text": "expected text"}.`,
      { cause },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VedError('INVALID_INPUT', `${source}, line ${line}: expected a JSON object {"image": ..., "text": ...}, found ${JSON.stringify(value)}.`);
  }
  const { image, text } = value as Record<string, unknown>;
  if (typeof image !== 'string' || image === '') {
    throw new VedError('INVALID_INPUT', `${source}, line ${line}: "image" must be a non-empty string (a path), found ${JSON.stringify(image)}.`);
  }
  if (typeof text !== 'string') {
    throw new VedError('INVALID_INPUT', `${source}, line ${line}: "text" must be a string, found ${JSON.stringify(text)}.`);
  }
  return { image: isAbsolute(image) ? image : resolve(baseDir, image), text, line };
}

/** Parses manifest text; `source` names the file in error messages, `baseDir` resolves relative image paths. */
export function parseManifest(content: string, source: string, baseDir: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const entry = parseManifestLine(raw, i + 1, source, baseDir);
    if (entry !== undefined) entries.push(entry);
  });
  if (entries.length === 0) throw new VedError('INVALID_INPUT', `${source}: the manifest lists no images.`);
  return entries;
}

/** The lines of a file as it streams (split on `\n`, a `\r` before it dropped), each at most `MAX_MANIFEST_LINE_BYTES`. */
async function* fileLines(path: string): AsyncGenerator<string> {
  let stream: AsyncIterable<Buffer>;
  try {
    const handle = await open(path, 'r');
    stream = handle.createReadStream({ highWaterMark: 1 << 16 });
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Manifest not found: ${resolve(path)} (${(cause as Error).message}).`, { cause });
  }
  const decoder = new TextDecoder();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const take = (tail: Buffer): string => {
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    const text = decoder.decode(bytes);
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of stream) {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      line++;
      if (pendingBytes + nl - from > MAX_MANIFEST_LINE_BYTES) throw tooLong(path, line);
      yield take(chunk.subarray(from, nl));
      from = nl + 1;
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingBytes += chunk.length - from;
      if (pendingBytes > MAX_MANIFEST_LINE_BYTES) throw tooLong(path, line + 1);
    }
  }
  if (pendingBytes > 0) yield take(Buffer.alloc(0));
}

function tooLong(path: string, line: number): VedError {
  return new VedError(
    'INVALID_INPUT',
    `${path}, line ${line}: longer than ${MAX_MANIFEST_LINE_BYTES} bytes; a manifest line is one {"image": ..., "text": ...} object (is this a manifest?).`,
  );
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export interface StreamManifestOptions {
  /** Check that each image exists (default true). */
  checkImages?: boolean;
}

/**
 * The entries of a manifest file as it streams, each checked before it is
 * yielded (valid JSON with "image" and "text", the image exists): the first
 * bad line is reported first, and memory stays bounded however long the file.
 */
export async function* streamManifest(path: string, options: StreamManifestOptions = {}): AsyncGenerator<ManifestEntry> {
  const baseDir = dirname(resolve(path));
  const check = options.checkImages !== false;
  let window: ManifestEntry[] = [];
  let any = false;
  const flush = async function* (): AsyncGenerator<ManifestEntry> {
    const batch = window;
    window = [];
    const found = check ? await Promise.all(batch.map((e) => isFile(e.image))) : [];
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      if (check && !found[i]) throw new VedError('FILE_NOT_FOUND', `${path}, line ${e.line}: image not found: ${e.image}.`);
      yield e;
    }
  };
  let line = 0;
  try {
    for await (const raw of fileLines(path)) {
      const entry = parseManifestLine(raw, ++line, path, baseDir);
      if (entry === undefined) continue;
      any = true;
      window.push(entry);
      if (window.length >= STAT_WINDOW) yield* flush();
    }
  } catch (err) {
    yield* flush(); // a missing image on an earlier line is reported first
    throw err;
  }
  yield* flush();
  if (!any) throw new VedError('INVALID_INPUT', `${path}: the manifest lists no images.`);
}

/**
 * Streams through a manifest checking every line (JSON, fields, image exists)
 * and returns the number of images, holding no entries: the check `ved eval`
 * runs before it loads the model.
 */
export async function checkManifest(path: string): Promise<number> {
  let count = 0;
  for await (const _entry of streamManifest(path)) count++;
  return count;
}

/** Reads a manifest file and checks that every image it names exists (all entries in memory; see `streamManifest`). */
export async function readManifest(path: string): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  for await (const entry of streamManifest(path)) entries.push(entry);
  return entries;
}

// The scores are @ved/core's (text-metrics.ts: exact match, CER and WER as torchmetrics computes them).
export { levenshtein, scoreTexts, type TextScore } from '@ved/core';

export interface EvaluateOptions {
  /** Images per `generate` call (default 16). */
  batchSize?: number;
  /** Generation options on top of the checkpoint's generation config. */
  generation?: GenerationOptions;
  /** Called after each batch with the number of images done and the total (when known). */
  onProgress?: (done: number, total: number) => void;
  /** The number of entries, for `onProgress` when `entries` is a stream (e.g. from `checkManifest`). */
  total?: number;
  /** Called with each prediction as its batch finishes, in manifest order. */
  onPrediction?: (prediction: { entry: ManifestEntry; text: string }) => void;
  /** Keep every prediction in the result (default true); false keeps memory flat on long manifests. */
  keepPredictions?: boolean;
  /** Applied to each generated text before it is scored (e.g. Nougat's `pipe.postProcessGeneration`). */
  postProcess?: (text: string) => string;
}

export interface EvaluationResult extends TextScore {
  /** Predicted text per manifest entry, in manifest order (empty with `keepPredictions: false`). */
  predictions: { entry: ManifestEntry; text: string }[];
}

/**
 * Reads every image of `entries` (an array, or a stream such as
 * `streamManifest(path)`) with `pipe`, a batch at a time, and scores the texts.
 */
export async function evaluate(
  pipe: ImageToText,
  entries: Iterable<ManifestEntry> | AsyncIterable<ManifestEntry>,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new VedError('INVALID_OPTION', `evaluate: batchSize must be a positive integer, got ${batchSize}.`);
  }
  if (pipe.tokenizer === undefined) {
    throw new VedError('FILE_NOT_FOUND', `The checkpoint has no tokenizer.json, so its output cannot be compared with text.`);
  }
  const total = options.total ?? (Array.isArray(entries) ? entries.length : Number.NaN);
  const keep = options.keepPredictions !== false;
  const predictions: { entry: ManifestEntry; text: string }[] = [];
  const scorer = new TextScorer();
  let batch: ManifestEntry[] = [];
  const run = async () => {
    const { texts } = await pipe.generate(
      batch.map((e) => e.image),
      options.generation ?? {},
    );
    batch.forEach((entry, i) => {
      const text = texts[i] ?? '';
      const prediction = { entry, text: options.postProcess ? options.postProcess(text) : text };
      scorer.add(prediction.text, entry.text);
      if (keep) predictions.push(prediction);
      options.onPrediction?.(prediction);
    });
    batch = [];
    options.onProgress?.(scorer.score.images, total);
  };
  for await (const entry of entries) {
    batch.push(entry);
    if (batch.length === batchSize) await run();
  }
  if (batch.length > 0) await run();
  return {
    ...scorer.score,
    predictions,
  };
}
