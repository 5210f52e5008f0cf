/**
 * The vocabulary files of slow tokenizers, read as `tokenizers` reads them
 * when transformers 5.18 hands it their paths (tokenizers/src/models/bpe/model.rs
 * `BPE::read_file`, models/wordpiece/mod.rs `WordPiece::read_file`):
 *
 * - `vocab.json`: a JSON object token → id;
 * - `merges.txt`: one `left right` pair a line (split on single spaces, exactly
 *   two parts), lines starting with `#version` skipped, `\r\n` accepted;
 * - `vocab.txt`: one token a line, trailing whitespace trimmed, the id is the
 *   line number (a repeated token keeps its last line).
 */
import { VedError } from '../../errors.js';
import { isRecord } from '../../config/config-reader.js';
import type { ModelFiles } from '../../io/model-files.js';

/** UTF-8 text, strict (invalid bytes fail as in Rust), a byte-order mark kept as a character. */
export async function readUtf8(files: ModelFiles, name: string): Promise<string> {
  const bytes = await files.readBytes(name);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw new VedError('INVALID_CONFIG', `${files.location}/${name} is not valid UTF-8 text.`, { cause });
  }
}

/** Rust's `str::lines`: split on `\n`, one trailing `\r` dropped, no empty last line. */
export function rustLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Rust's `char::is_whitespace` (Unicode White_Space), which differs from JavaScript's `\s` (U+0085 yes, U+FEFF no). */
const RUST_WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/u;

export function rustTrimEnd(s: string): string {
  return s.replace(RUST_WHITESPACE, '');
}

/** `vocab.json`: token → id. */
export async function readVocabJson(files: ModelFiles, name = 'vocab.json'): Promise<Map<string, number>> {
  const text = await readUtf8(files, name);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new VedError('INVALID_JSON', `${files.location}/${name} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (!isRecord(json)) throw new VedError('INVALID_CONFIG', `${files.location}/${name} must hold a JSON object of token → id.`);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new VedError('INVALID_CONFIG', `${files.location}/${name}: token ${JSON.stringify(token)} has the id ${JSON.stringify(id)}, expected a non-negative integer.`);
    }
    vocab.set(token, id);
  }
  return vocab;
}

/** `merges.txt`: the merge pairs in rank order, each checked against the vocabulary as `BPE::build` does. */
export async function readMerges(files: ModelFiles, vocab: ReadonlyMap<string, number>, name = 'merges.txt'): Promise<[string, string][]> {
  const merges: [string, string][] = [];
  rustLines(await readUtf8(files, name)).forEach((line, index) => {
    if (line.startsWith('#version')) return;
    const parts = line.split(' ');
    if (parts.length !== 2) {
      throw new VedError('INVALID_CONFIG', `${files.location}/${name} line ${index + 1} is ${JSON.stringify(line)}; expected two tokens separated by one space.`);
    }
    const [a, b] = parts as [string, string];
    for (const token of [a, b, a + b]) {
      if (!vocab.has(token)) {
        throw new VedError('INVALID_CONFIG', `${files.location}/${name} line ${index + 1} merges ${JSON.stringify(a)} + ${JSON.stringify(b)}, but ${JSON.stringify(token)} is not in vocab.json.`);
      }
    }
    merges.push([a, b]);
  });
  return merges;
}

/** `vocab.txt`: token → line number. */
export async function readVocabTxt(files: ModelFiles, name = 'vocab.txt'): Promise<Map<string, number>> {
  const vocab = new Map<string, number>();
  rustLines(await readUtf8(files, name)).forEach((line, index) => {
    const token = rustTrimEnd(line);
    vocab.delete(token); // a repeated token takes its last line, and moves to that position
    vocab.set(token, index);
  });
  return vocab;
}
