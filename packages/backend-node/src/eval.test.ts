/**
 * `ved eval`: manifest parsing and its errors, the exact-match and CER
 * arithmetic, and the command as a user runs it (built `dist/cli.js`, as in
 * cli.e2e.test.ts) on a small manifest of the default model's held-out images.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VedError } from '@ved/core';
import { defaultModelDir } from '@ved/default-model';
import { levenshtein, parseManifest, readManifest, scoreTexts } from './eval.js';
import { ImageToText } from './pipeline.js';
import { REPO_ROOT } from './test-utils/fixtures.js';

const CLI = join(REPO_ROOT, 'packages/backend-node/dist/cli.js');
const HELDOUT = join(defaultModelDir, '..', 'examples', 'heldout');

function ved(args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` before the tests.`);
  return spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

function manifestLine(image: string, text: string): string {
  return JSON.stringify({ image, text });
}

async function rejection(p: Promise<unknown>): Promise<VedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VedError) return err;
    throw err;
  }
  throw new Error('expected a VedError');
}

describe('levenshtein and scoreTexts', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshtein('', '')).toBe(0);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('', 'ab')).toBe(2);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('$1,234.50', '$1.234.50')).toBe(1);
    expect(levenshtein('ab', 'ba')).toBe(2);
  });

  it('computes exact match, CER and WER on a hand-made case', () => {
    // refs: 4 + 2 + 5 + 3 = 14 characters; edits: 0 + 1 (deletion) + 2 (h→j, +!) + 3 (empty reading);
    // words: 1 + 1 + 1 + 2 = 5; word edits: 0 + 1 + 1 + 2
    const s = scoreTexts(['abcd', 'x', 'jello!', ''], ['abcd', 'xy', 'hello', 'a b']);
    expect(s).toEqual({ images: 4, exactMatch: 0.25, cer: 6 / 14, wer: 4 / 5, exact: 1, edits: 6, referenceChars: 14, wordEdits: 4, referenceWords: 5 });
  });
});

describe('manifest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ved-eval-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves image paths against the manifest directory and skips blank lines', () => {
    const entries = parseManifest(`${manifestLine('a.png', 'A')}\n\n${manifestLine('/abs/b.png', 'B')}\n`, 'm.jsonl', '/data');
    expect(entries).toEqual([
      { image: '/data/a.png', text: 'A', line: 1 },
      { image: '/abs/b.png', text: 'B', line: 3 },
    ]);
  });

  it('names the line of a malformed entry', () => {
    const bad = [
      [`${manifestLine('a.png', 'A')}\n{"image": "b.png", "text": `, 'line 2: not valid JSON'],
      [`${manifestLine('a.png', 'A')}\n${manifestLine('b.png', 'B')}\n["c.png", "C"]`, 'line 3: expected a JSON object'],
      [`{"image": "a.png"}`, 'line 1: "text" must be a string'],
      [`{"text": "x", "image": 3}`, 'line 1: "image" must be a non-empty string'],
    ] as const;
    for (const [content, message] of bad) {
      let err: unknown;
      try {
        parseManifest(content, 'set.jsonl', '/data');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VedError);
      expect((err as VedError).code).toBe('INVALID_INPUT');
      expect((err as VedError).message).toContain(`set.jsonl, ${message}`);
    }
    expect(() => parseManifest('\n\n', 'empty.jsonl', '/data')).toThrow(/lists no images/);
  });

  it('names the line of a missing image', async () => {
    const path = join(dir, 'missing.jsonl');
    writeFileSync(path, [manifestLine(join(HELDOUT, '0000.png'), 'x'), manifestLine('nope.png', 'y')].join('\n'));
    const err = await rejection(readManifest(path));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain(`${path}, line 2: image not found: ${join(dir, 'nope.png')}`);
  });
});

describe('ved eval', () => {
  let dir: string;
  let readings: string[];
  const images = ['0000.png', '0001.png', '0002.png'].map((n) => join(HELDOUT, n));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ved-eval-cli-'));
    // What the model reads; the manifest below is built from it so that the figures are known exactly.
    const pipe = await ImageToText.fromPretrained(defaultModelDir);
    try {
      readings = (await pipe.generate(images)).texts;
    } finally {
      await pipe.dispose();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the exact-match rate and CER of a small manifest', () => {
    const [r0, r1, r2] = readings as [string, string, string];
    // line 1 right; line 2 one char short of the reading (1 edit); line 3 two extra chars (2 edits)
    const texts = [r0, `${r1}Q`, `${r2}zz`];
    const refChars = texts.reduce((n, t) => n + t.length, 0);
    const path = join(dir, 'small.jsonl');
    writeFileSync(path, texts.map((t, i) => manifestLine(images[i]!, t)).join('\n') + '\n');

    const json = ved(['eval', '--manifest', path, '--json']);
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    const { wer, wordEdits, referenceWords } = scoreTexts(readings, texts);
    expect(JSON.parse(json.stdout)).toEqual({ images: 3, exact_match: 1 / 3, cer: 3 / refChars, wer });

    const text = ved(['eval', '--model', defaultModelDir, '--manifest', path, '--batch-size', '2']);
    expect(text.status).toBe(0);
    expect(text.stdout).toBe(
      `images: 3\nexact match: 33.33% (1/3)\nCER: ${((100 * 3) / refChars).toFixed(2)}% (3 edits / ${refChars} reference characters)\n` +
        `WER: ${(100 * wer).toFixed(2)}% (${wordEdits} edits / ${referenceWords} reference words)\n`,
    );
  });

  it('fails naming the line of a malformed entry or a missing image', () => {
    const malformed = join(dir, 'malformed.jsonl');
    writeFileSync(malformed, `${manifestLine(images[0]!, 'x')}\n{"image": oops}\n`);
    const bad = ved(['eval', '--manifest', malformed]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${malformed}, line 2: not valid JSON`);

    const missing = join(dir, 'missing.jsonl');
    writeFileSync(missing, `${manifestLine(images[0]!, 'x')}\n${manifestLine(images[1]!, 'y')}\n${manifestLine('gone.png', 'z')}\n`);
    const gone = ved(['eval', '--manifest', missing, '--json']);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain(`${missing}, line 3: image not found`);
    expect(gone.stdout).toBe('');

    const usage = ved(['eval']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--manifest');
  });
});
