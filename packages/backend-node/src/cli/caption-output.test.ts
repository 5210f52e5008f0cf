/**
 * `ved caption`'s output without a tokenizer: the fixture checkpoint vit-gpt2-a
 * copied without its tokenizer files generates Python's greedy ids, and the
 * entries carry them with `text: null` (plain lines print them as a JSON array).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageToText } from '../pipeline.js';
import { loadModelReference } from '../test-utils/fixtures.js';
import { captionEntries, noTokenizerWarning, plainLine } from './caption-output.js';

const work = mkdtempSync(join(tmpdir(), 'ved-no-tokenizer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('caption entries', () => {
  it('carry the text with a tokenizer and null without one; plain lines print the ids in its place', () => {
    const batch = { sequences: [[5, 6], [7, 8]], texts: ['a b', 'c'], sequencesScores: [-0.5, -0.7] };
    expect(captionEntries(batch, 1, 1, true)).toEqual([{ ids: [7, 8], text: 'c', score: -0.7 }]);
    const none = captionEntries({ sequences: batch.sequences, texts: [] }, 0, 2, false);
    expect(none).toEqual([
      { ids: [5, 6], text: null },
      { ids: [7, 8], text: null },
    ]);
    expect(plainLine('x.png', none[0]!)).toBe('x.png\t[5,6]\n');
    expect(plainLine('x.png', { ids: [1], text: '' })).toBe('x.png\t\n');
    expect(noTokenizerWarning('/m')).toMatch(/^ved caption: warning: \/m has no tokenizer .*\n$/);
  });

  it('a checkpoint without tokenizer files generates Python\'s ids and has no tokenizer', async () => {
    const ref = loadModelReference('vit-gpt2-a');
    for (const name of ['config.json', 'generation_config.json', 'model.safetensors', 'preprocessor_config.json']) copyFileSync(join(ref.dir, name), join(work, name));
    const pipe = await ImageToText.fromPretrained(work);
    try {
      expect(pipe.tokenizer).toBeUndefined();
      const result = await pipe.generate(ref.json.images, { maxNewTokens: ref.json.greedy.max_new_tokens });
      expect(result.texts).toEqual([]);
      const entries = ref.json.images.flatMap((_, i) => captionEntries(result, i, 1, false));
      expect(entries.map((e) => e.ids)).toEqual(ref.json.greedy.sequences);
      expect(entries.every((e) => e.text === null)).toBe(true);
    } finally {
      await pipe.dispose();
    }
  });
});
