/**
 * `TopPLogitsWarper` (nucleus sampling, Holtzman et al., arXiv:1904.09751):
 * keeps the smallest set of most probable tokens whose probability reaches
 * `topP`: in ascending order, tokens whose cumulative probability is
 * `<= 1 - topP` go, the last `minTokensToKeep` always stay.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, softmaxRow32, sortedIndices, type InputIds, type Scores } from '../scores.js';
import { invalid, minTokensToKeep, pyFloat } from './validate.js';

export class TopPLogitsWarper implements LogitsProcessor {
  readonly minTokensToKeep: number;
  readonly filterValue: number;

  constructor(
    readonly topP: number,
    options: { minTokensToKeep?: number; filterValue?: number } = {},
  ) {
    if (!(typeof topP === 'number' && topP >= 0 && topP <= 1)) invalid(`\`top_p\` has to be a float > 0 and < 1, but is ${pyFloat(topP)}`);
    this.minTokensToKeep = minTokensToKeep(options.minTokensToKeep);
    this.filterValue = options.filterValue ?? -Infinity;
  }

  process(_inputIds: InputIds, scores: Scores): Scores {
    const limit = Math.fround(1 - this.topP);
    return mapRows(scores, (src, dst) => {
      const order = sortedIndices(src, false);
      const probs = softmaxRow32(Array.from(order, (i) => src[i]!));
      let cum = 0; // torch's CPU cumsum accumulates float32 in double
      const keepFrom = order.length - this.minTokensToKeep;
      for (let j = 0; j < order.length; j++) {
        cum += probs[j]!;
        if (Math.fround(cum) <= limit && j < keepFrom) dst[order[j]!] = this.filterValue;
      }
    });
  }
}
