/** `MinPLogitsWarper` (Nguyen et al., arXiv:2407.01082): removes tokens with probability below `minP × max probability`. */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, softmaxRow32, type InputIds, type Scores } from '../scores.js';
import { topkIndices } from '../torch-topk.js';
import { invalid, minTokensToKeep, pyFloat } from './validate.js';

export class MinPLogitsWarper implements LogitsProcessor {
  readonly minTokensToKeep: number;
  readonly filterValue: number;

  constructor(
    readonly minP: number,
    options: { minTokensToKeep?: number; filterValue?: number } = {},
  ) {
    if (!(typeof minP === 'number' && minP >= 0 && minP <= 1)) invalid(`\`min_p\` has to be a float in the [0, 1] interval, but is ${pyFloat(minP)}`);
    this.minTokensToKeep = minTokensToKeep(options.minTokensToKeep);
    this.filterValue = options.filterValue ?? -Infinity;
  }

  process(_inputIds: InputIds, scores: Scores): Scores {
    const minP = Math.fround(this.minP);
    return mapRows(scores, (src, dst) => {
      const probs = softmaxRow32(src);
      let top = 0;
      for (const p of probs) if (p > top) top = p;
      const threshold = Math.fround(minP * top);
      const keep = new Set(topkIndices(probs, Math.min(this.minTokensToKeep, probs.length)));
      for (let i = 0; i < probs.length; i++) if (probs[i]! < threshold && !keep.has(i)) dst[i] = this.filterValue;
    });
  }
}
