/**
 * Training manifests for `ved train`: JSON lines like `ved eval`'s, each
 * `{"image": PATH, "text": "target"}` (tokenized with the checkpoint's
 * tokenizer) or `{"image": PATH, "labels": [ids]}` (used as given). PATH is
 * absolute or relative to the manifest's directory; blank lines are skipped.
 * Every line is checked, and every image's existence, before training starts:
 * an error names the file and line.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { VedError } from '@ved/core';
import type { TrainingExample } from '@ved/training';

/** Parses manifest text into training examples (`where` = "FILE, line N"). */
export function parseTrainingManifest(content: string, source: string, baseDir: string): TrainingExample<string>[] {
  const examples: TrainingExample<string>[] = [];
  const expected = 'expected {"image": "path", "text": "target text"} or {"image": "path", "labels": [ids]}';
  content.split(/\r?\n/).forEach((raw, i) => {
    const where = `${source}, line ${i + 1}`;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new VedError('INVALID_INPUT', `${where}: not valid JSON (${(cause as Error).message}); ${expected}.`, { cause });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new VedError('INVALID_INPUT', `${where}: ${expected}, found ${JSON.stringify(value)}.`);
    }
    const { image, text, labels } = value as Record<string, unknown>;
    if (typeof image !== 'string' || image === '') {
      throw new VedError('INVALID_INPUT', `${where}: "image" must be a non-empty string (a path), found ${JSON.stringify(image)}.`);
    }
    if ((text === undefined) === (labels === undefined)) {
      throw new VedError('INVALID_INPUT', `${where}: give exactly one of "text" or "labels", found ${text === undefined ? 'neither' : 'both'}.`);
    }
    const path = isAbsolute(image) ? image : resolve(baseDir, image);
    if (text !== undefined) {
      if (typeof text !== 'string') throw new VedError('INVALID_INPUT', `${where}: "text" must be a string, found ${JSON.stringify(text)}.`);
      examples.push({ image: path, text, where });
    } else {
      if (!Array.isArray(labels) || labels.some((id) => !Number.isInteger(id))) {
        throw new VedError('INVALID_INPUT', `${where}: "labels" must be an array of integer token ids, found ${JSON.stringify(labels)}.`);
      }
      examples.push({ image: path, labels: labels as number[], where });
    }
  });
  if (examples.length === 0) throw new VedError('INVALID_INPUT', `${source}: the manifest lists no images.`);
  return examples;
}

/** Reads a training manifest and checks that every image it names exists. */
export async function readTrainingManifest(path: string): Promise<TrainingExample<string>[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Manifest not found: ${resolve(path)} (${(cause as Error).message}).`, { cause });
  }
  const examples = parseTrainingManifest(content, path, dirname(resolve(path)));
  for (const e of examples) {
    let isFile = false;
    try {
      isFile = (await stat(e.image)).isFile();
    } catch {
      // reported below
    }
    if (!isFile) throw new VedError('FILE_NOT_FOUND', `${e.where}: image not found: ${e.image}.`);
  }
  return examples;
}
