/** `EpsilonLogitsWarper` (epsilon sampling, Hewitt et al., arXiv:2210.15191): removes tokens with probability below `epsilon`. */
import type { LogitsProcessor } from '../logits-processor.js';
import { kthLargest, mapRows, softmaxRow32, type InputIds, type Scores } from '../scores.js';
import { invalid, minTokensToKeep, pyFloat } from './validate.js';

export class EpsilonLogitsWarper implements LogitsProcessor {
  readonly minTokensToKeep: number;
  readonly filterValue: number;

  constructor(
    readonly epsilon: number,
    options: { minTokensToKeep?: number; filterValue?: number } = {},
  ) {
    if (!(typeof epsilon === 'number' && epsilon > 0 && epsilon < 1)) invalid(`\`epsilon_cutoff\` has to be a float > 0 and < 1, but is ${pyFloat(epsilon)}`);
    this.minTokensToKeep = minTokensToKeep(options.minTokensToKeep);
    this.filterValue = options.filterValue ?? -Infinity;
  }

  process(_inputIds: InputIds, scores: Scores): Scores {
    const eps = Math.fround(this.epsilon);
    return mapRows(scores, (src, dst) => {
      const probs = softmaxRow32(src);
      const kth = kthLargest(src, Math.min(this.minTokensToKeep, src.length));
      for (let i = 0; i < src.length; i++) if (probs[i]! < eps && src[i]! < kth) dst[i] = this.filterValue;
    });
  }
}
