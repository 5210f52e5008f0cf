/**
 * `RepetitionPenaltyLogitsProcessor` (CTRL, arXiv:1909.05858): every id
 * already in the row, the start token included, gets `s * p` when its score is
 * negative and `s / p` otherwise, once per id.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid, pyFloat } from './validate.js';

export class RepetitionPenaltyLogitsProcessor implements LogitsProcessor {
  readonly penalty: number;

  constructor(penalty: number) {
    if (!(typeof penalty === 'number' && penalty > 0)) invalid(`\`penalty\` has to be a strictly positive float, but is ${pyFloat(penalty)}`);
    this.penalty = Math.fround(penalty);
  }

  process(inputIds: InputIds, scores: Scores): Scores {
    const p = this.penalty;
    return mapRows(scores, (src, dst, r) => {
      for (const t of new Set(inputIds[r])) {
        if (t < 0 || t >= scores.vocab) continue;
        const s = src[t]!;
        dst[t] = s < 0 ? s * p : s / p;
      }
    });
  }
}
