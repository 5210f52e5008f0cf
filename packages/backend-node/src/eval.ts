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
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { VedError } from '@ved/core';
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

/** Parses manifest text; `source` names the file in error messages, `baseDir` resolves relative image paths. */
export function parseManifest(content: string, source: string, baseDir: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
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
    entries.push({ image: isAbsolute(image) ? image : resolve(baseDir, image), text, line });
  });
  if (entries.length === 0) throw new VedError('INVALID_INPUT', `${source}: the manifest lists no images.`);
  return entries;
}

/** Reads a manifest file and checks that every image it names exists. */
export async function readManifest(path: string): Promise<ManifestEntry[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Manifest not found: ${resolve(path)} (${(cause as Error).message}).`, { cause });
  }
  const entries = parseManifest(content, path, dirname(resolve(path)));
  await Promise.all(
    entries.map(async (e) => {
      let isFile = false;
      try {
        isFile = (await stat(e.image)).isFile();
      } catch {
        // reported below
      }
      if (!isFile) throw new VedError('FILE_NOT_FOUND', `${path}, line ${e.line}: image not found: ${e.image}.`);
    }),
  );
  return entries.sort((a, b) => a.line - b.line);
}

/** Levenshtein distance between two strings, over Unicode code points. */
export function levenshtein(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const sub = prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1);
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, sub));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

export interface TextScore {
  images: number;
  /** Share of predictions equal to their reference. */
  exactMatch: number;
  /** Summed edit distance over summed reference length (0 when there are no reference characters and no edits). */
  cer: number;
  exact: number;
  edits: number;
  referenceChars: number;
}

/** Exact-match rate and CER of predictions against references (same order). */
export function scoreTexts(predictions: readonly string[], references: readonly string[]): TextScore {
  if (predictions.length !== references.length) {
    throw new VedError('INVALID_INPUT', `scoreTexts: ${predictions.length} predictions for ${references.length} references.`);
  }
  let exact = 0;
  let edits = 0;
  let referenceChars = 0;
  references.forEach((ref, i) => {
    const pred = predictions[i]!;
    if (pred === ref) exact++;
    edits += levenshtein(ref, pred);
    referenceChars += Array.from(ref).length;
  });
  const images = references.length;
  return {
    images,
    exactMatch: images === 0 ? 0 : exact / images,
    cer: referenceChars === 0 ? (edits === 0 ? 0 : Infinity) : edits / referenceChars,
    exact,
    edits,
    referenceChars,
  };
}

export interface EvaluateOptions {
  /** Images per `generate` call (default 16). */
  batchSize?: number;
  /** Generation options on top of the checkpoint's generation config. */
  generation?: GenerationOptions;
  /** Called after each batch with the number of images done. */
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluationResult extends TextScore {
  /** Predicted text per manifest entry, in manifest order. */
  predictions: { entry: ManifestEntry; text: string }[];
}

/** Reads every image of `entries` with `pipe` and scores the texts. */
export async function evaluate(pipe: ImageToText, entries: readonly ManifestEntry[], options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new VedError('INVALID_OPTION', `evaluate: batchSize must be a positive integer, got ${batchSize}.`);
  }
  if (pipe.tokenizer === undefined) {
    throw new VedError('FILE_NOT_FOUND', `The checkpoint has no tokenizer.json, so its output cannot be compared with text.`);
  }
  const predictions: { entry: ManifestEntry; text: string }[] = [];
  for (let start = 0; start < entries.length; start += batchSize) {
    const batch = entries.slice(start, start + batchSize);
    const { texts } = await pipe.generate(
      batch.map((e) => e.image),
      options.generation ?? {},
    );
    batch.forEach((entry, i) => predictions.push({ entry, text: texts[i] ?? '' }));
    options.onProgress?.(predictions.length, entries.length);
  }
  const score = scoreTexts(
    predictions.map((p) => p.text),
    predictions.map((p) => p.entry.text),
  );
  return { ...score, predictions };
}
