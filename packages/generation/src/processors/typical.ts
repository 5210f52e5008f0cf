/**
 * `TypicalLogitsWarper` (locally typical sampling, Meister et al.,
 * arXiv:2202.00666): sorts tokens by |−log p − H| and keeps the smallest such
 * set whose probability reaches `mass`.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { logSoftmaxRow, mapRows, softmaxRow32, sortedIndices, type InputIds, type Scores } from '../scores.js';
import { invalid, minTokensToKeep, pyFloat } from './validate.js';

export class TypicalLogitsWarper implements LogitsProcessor {
  readonly minTokensToKeep: number;
  readonly filterValue: number;

  constructor(
    readonly mass: number,
    options: { minTokensToKeep?: number; filterValue?: number } = {},
  ) {
    if (!(typeof mass === 'number' && mass > 0 && mass < 1)) invalid(`\`typical_p\` has to be a float > 0 and < 1, but is ${pyFloat(mass)}`);
    this.minTokensToKeep = minTokensToKeep(options.minTokensToKeep);
    this.filterValue = options.filterValue ?? -Infinity;
  }

  process(_inputIds: InputIds, scores: Scores): Scores {
    const mass = Math.fround(this.mass);
    return mapRows(scores, (src, dst) => {
      const V = src.length;
      const normalized = new Float32Array(V);
      logSoftmaxRow(src, normalized);
      let ent = 0;
      for (let i = 0; i < V; i++) {
        const term = normalized[i]! * Math.fround(Math.exp(normalized[i]!));
        if (!Number.isNaN(term)) ent += term; // nansum
      }
      ent = Math.fround(-ent);
      const shifted = Float32Array.from(normalized, (n) => Math.abs(-n - ent));
      const order = sortedIndices(shifted, false);
      const probs = softmaxRow32(Array.from(order, (i) => src[i]!));
      let cum = 0;
      let lastInd = 0;
      for (let j = 0; j < V; j++) {
        cum += probs[j]!;
        if (Math.fround(cum) < mass) lastInd++;
      }
      lastInd = Math.min(lastInd, V - 1);
      const cutoff = shifted[order[lastInd]!]!;
      for (let j = this.minTokensToKeep; j < V; j++) {
        if (shifted[order[j]!]! > cutoff) dst[order[j]!] = this.filterValue;
      }
    });
  }
}
