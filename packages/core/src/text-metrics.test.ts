/**
 * ved's exact match, CER and WER against torchmetrics (fixtures/text/text-metrics.json, written by
 * tools/reference/make_text_metric_fixtures.py): each pair's character and word edits and lengths, and the
 * corpus rates, on text with every kind of whitespace Python's str.split() knows (and some it does not).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TextScorer, editDistance, levenshtein, scoreTexts, splitWords } from './text-metrics.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/text/text-metrics.json', import.meta.url));
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  pairs: { prediction: string; reference: string; char_edits: number; chars: number; word_edits: number; words: number }[];
  corpus: { from: number; to: number; cer: number; wer: number }[];
};

describe('text metrics as torchmetrics', () => {
  it("counts each pair's character and word edits and lengths as _cer_update / _wer_update", () => {
    for (const [i, p] of fixture.pairs.entries()) {
      const score = scoreTexts([p.prediction], [p.reference]);
      expect([score.edits, score.referenceChars, score.wordEdits, score.referenceWords], `pair ${i}: ${JSON.stringify(p)}`).toEqual([p.char_edits, p.chars, p.word_edits, p.words]);
    }
  });

  it('gives the corpus rates of CharErrorRate / WordErrorRate', () => {
    for (const c of fixture.corpus) {
      const pairs = fixture.pairs.slice(c.from, c.to);
      const score = scoreTexts(pairs.map((p) => p.prediction), pairs.map((p) => p.reference));
      expect(Math.abs(score.cer - c.cer)).toBeLessThan(1e-6);
      expect(Math.abs(score.wer - c.wer)).toBeLessThan(1e-6);
    }
  });

  it('splits words as Python str.split(), measures characters as code points', () => {
    expect(splitWords('\x1c a\tb\x85c\u3000 d\ufeffe  ')).toEqual(['a', 'b', 'c', 'd\ufeffe']);
    expect(splitWords('')).toEqual([]);
    expect(levenshtein('😀a', 'a')).toBe(1);
    expect(editDistance(['a', 'b', 'c'], ['a', 'c', 'd'])).toBe(2);
    const scorer = new TextScorer();
    scorer.add('hello word', 'hello world');
    scorer.add('', '');
    expect(scorer.score).toMatchObject({ images: 2, exact: 1, exactMatch: 0.5, edits: 1, referenceChars: 11, wordEdits: 1, referenceWords: 2, wer: 0.5 });
    // Nothing to read: 0 without edits, Infinity with some.
    expect(scoreTexts(['x'], [''])).toMatchObject({ cer: Infinity, wer: Infinity });
    expect(() => scoreTexts(['a'], [])).toThrow(/1 predictions for 0 references/);
  });
});
