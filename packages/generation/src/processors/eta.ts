/**
 * `EtaLogitsWarper` (eta sampling, Hewitt et al., arXiv:2210.15191): removes
 * tokens with probability below `min(epsilon, sqrt(epsilon) · exp(−entropy))`.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { kthLargest, mapRows, softmaxRow32, type InputIds, type Scores } from '../scores.js';
import { categoricalEntropy } from './entropy.js';
import { invalid, minTokensToKeep, pyFloat } from './validate.js';

export class EtaLogitsWarper implements LogitsProcessor {
  readonly minTokensToKeep: number;
  readonly filterValue: number;

  constructor(
    readonly epsilon: number,
    options: { minTokensToKeep?: number; filterValue?: number } = {},
  ) {
    if (!(typeof epsilon === 'number' && epsilon > 0 && epsilon < 1)) invalid(`\`eta_cutoff\` has to be a float > 0 and < 1, but is ${pyFloat(epsilon)}`);
    this.minTokensToKeep = minTokensToKeep(options.minTokensToKeep);
    this.filterValue = options.filterValue ?? -Infinity;
  }

  process(_inputIds: InputIds, scores: Scores): Scores {
    const eps = Math.fround(this.epsilon);
    return mapRows(scores, (src, dst) => {
      const probs = softmaxRow32(src);
      const entropy = categoricalEntropy(src);
      const eta = Math.min(eps, Math.fround(Math.fround(Math.sqrt(eps)) * Math.fround(Math.exp(-entropy))));
      const kth = kthLargest(src, Math.min(this.minTokensToKeep, src.length));
      for (let i = 0; i < src.length; i++) if (probs[i]! < eta && src[i]! < kth) dst[i] = this.filterValue;
    });
  }
}
