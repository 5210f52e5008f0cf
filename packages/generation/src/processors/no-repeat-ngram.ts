/**
 * `NoRepeatNGramLogitsProcessor` (Paulus et al., arXiv:1705.04304): once a row
 * has `n` tokens, every token that would complete an n-gram already present
 * in the row (start token included) gets -inf.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid } from './validate.js';

export class NoRepeatNGramLogitsProcessor implements LogitsProcessor {
  constructor(readonly ngramSize: number) {
    if (!Number.isInteger(ngramSize) || ngramSize <= 0) invalid(`\`ngram_size\` has to be a strictly positive integer, but is ${ngramSize}`);
  }

  process(inputIds: InputIds, scores: Scores): Scores {
    const n = this.ngramSize;
    return mapRows(scores, (_src, dst, r) => {
      const ids = inputIds[r]!;
      const len = ids.length;
      if (len < n) return;
      // The last n-1 tokens; every earlier window starting with them bans its n-th token.
      const prefixStart = len + 1 - n;
      for (let w = 0; w + n <= len; w++) {
        let match = true;
        for (let j = 0; j < n - 1 && match; j++) match = ids[w + j] === ids[prefixStart + j];
        const banned = ids[w + n - 1]!;
        if (match && banned >= 0 && banned < scores.vocab) dst[banned] = -Infinity;
      }
    });
  }
}
