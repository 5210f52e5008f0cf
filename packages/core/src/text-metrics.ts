/**
 * The text metrics of an evaluation (`ved eval`, the Trainer's evaluations): the exact-match rate, the character
 * error rate and the word error rate, each summed over the examples and divided by the reference's length, as
 * torchmetrics computes them (torchmetrics/functional/text/cer.py `_cer_update`, wer.py `_wer_update`):
 *
 * - CER: the Levenshtein distance between the prediction's and the reference's characters (Unicode code points,
 *   Python's `len`), over the reference characters;
 * - WER: the same distance between their words (Python's `str.split()`: runs of whitespace separate them, none
 *   at the ends), over the reference words. Hugging Face `evaluate`'s "wer" (jiwer) splits on single spaces
 *   after collapsing runs of whitespace: the same words unless a text holds a lone tab or newline between two.
 *
 * With no reference characters (words), the rate is 0 without edits and Infinity with some.
 */
import { VedError } from './errors.js';
import { PY_SPACE } from './processing/python-text.js';

/** Levenshtein distance between two sequences (insertions, deletions and substitutions all cost 1). */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Levenshtein distance between two strings, over Unicode code points. */
export function levenshtein(a: string, b: string): number {
  return editDistance(Array.from(a), Array.from(b));
}

const SPACES = new RegExp(`[${PY_SPACE}]+`, 'u');

/** Python's `text.split()`: the words between runs of whitespace (`str.isspace`). */
export function splitWords(text: string): string[] {
  return text.split(SPACES).filter((w) => w !== '');
}

export interface TextScore {
  images: number;
  /** Share of predictions equal to their reference. */
  exactMatch: number;
  /** Summed character edits over summed reference characters. */
  cer: number;
  /** Summed word edits over summed reference words. */
  wer: number;
  exact: number;
  edits: number;
  referenceChars: number;
  wordEdits: number;
  referenceWords: number;
}

/** Accumulates the scores of (prediction, reference) pairs, one at a time. */
export class TextScorer {
  private exact = 0;
  private edits = 0;
  private referenceChars = 0;
  private wordEdits = 0;
  private referenceWords = 0;
  private images = 0;

  add(prediction: string, reference: string): void {
    this.images++;
    if (prediction === reference) this.exact++;
    this.edits += levenshtein(reference, prediction);
    this.referenceChars += Array.from(reference).length;
    const words = splitWords(reference);
    this.wordEdits += editDistance(words, splitWords(prediction));
    this.referenceWords += words.length;
  }

  get score(): TextScore {
    const rate = (errors: number, total: number) => (total === 0 ? (errors === 0 ? 0 : Infinity) : errors / total);
    const { images, exact, edits, referenceChars, wordEdits, referenceWords } = this;
    return {
      images,
      exactMatch: images === 0 ? 0 : exact / images,
      cer: rate(edits, referenceChars),
      wer: rate(wordEdits, referenceWords),
      exact,
      edits,
      referenceChars,
      wordEdits,
      referenceWords,
    };
  }
}

/** The scores of predictions against references (same order). */
export function scoreTexts(predictions: readonly string[], references: readonly string[]): TextScore {
  if (predictions.length !== references.length) {
    throw new VedError('INVALID_INPUT', `scoreTexts: ${predictions.length} predictions for ${references.length} references.`);
  }
  const scorer = new TextScorer();
  references.forEach((reference, i) => scorer.add(predictions[i]!, reference));
  return scorer.score;
}
