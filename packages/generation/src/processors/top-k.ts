/** `TopKLogitsWarper`: keeps the `max(topK, minTokensToKeep)` largest scores (and ties with the smallest of them). */
import type { LogitsProcessor } from '../logits-processor.js';
import { kthLargest, mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid, minTokensToKeep } from './validate.js';

export class TopKLogitsWarper implements LogitsProcessor {
  readonly topK: number;

  constructor(
    topK: number,
    options: { minTokensToKeep?: number; filterValue?: number } = {},
    readonly filterValue = options.filterValue ?? -Infinity,
  ) {
    if (!Number.isInteger(topK) || topK <= 0) invalid(`\`top_k\` has to be a strictly positive integer, but is ${topK}`);
    this.topK = Math.max(topK, minTokensToKeep(options.minTokensToKeep));
  }

  process(_inputIds: InputIds, scores: Scores): Scores {
    const k = Math.min(this.topK, scores.vocab);
    return mapRows(scores, (src, dst) => {
      const threshold = kthLargest(src, k);
      for (let i = 0; i < src.length; i++) if (src[i]! < threshold) dst[i] = this.filterValue;
    });
  }
}
