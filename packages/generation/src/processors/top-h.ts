/**
 * `TopHLogitsWarper` (top-H sampling): among the 100 most likely tokens,
 * keeps them in order while their cumulative entropy stays within
 * `topH × H` (the most likely token always stays).
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, softmaxRow32, type InputIds, type Scores } from '../scores.js';
import { topkIndices } from '../torch-topk.js';
import { categoricalEntropy } from './entropy.js';
import { invalid } from './validate.js';

const TOP_N = 100;

export class TopHLogitsWarper implements LogitsProcessor {
  readonly filterValue: number;

  constructor(
    readonly topH: number,
    options: { filterValue?: number } = {},
  ) {
    if (!(typeof topH === 'number' && topH > 0 && topH <= 1)) invalid('`top_h` must be in the range (0, 1].');
    this.filterValue = options.filterValue ?? -Infinity;
  }

  process(_inputIds: InputIds, scores: Scores): Scores {
    const n = Math.min(TOP_N, scores.vocab);
    return mapRows(scores, (src, dst) => {
      const top = topkIndices(src, n);
      const topLogits = Float32Array.from(top, (i) => src[i]!);
      const probs = softmaxRow32(topLogits);
      const tau = Math.fround(categoricalEntropy(topLogits) * Math.fround(this.topH));
      const keep = new Uint8Array(src.length);
      let cum = 0;
      for (let j = 0; j < n; j++) {
        const p = probs[j]!;
        cum += Math.fround(-p * Math.fround(Math.log(p)));
        if (j === 0 || Math.fround(cum) <= tau) keep[top[j]!] = 1;
      }
      for (let i = 0; i < src.length; i++) if (!keep[i]) dst[i] = this.filterValue;
    });
  }
}
