/**
 * `PrefixConstrainedLogitsProcessor` (De Cao et al., arXiv:2010.00904): only
 * the ids that `prefixAllowedTokensFn(batchId, ids)` returns keep their score.
 * When no beam of an image has a finite allowed score, the allowed ids are
 * forced with score 0 so the constraint still holds.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, row, type InputIds, type Scores } from '../scores.js';
import { invalid } from './validate.js';

export type PrefixAllowedTokensFn = (batchId: number, inputIds: readonly number[]) => readonly number[];

export class PrefixConstrainedLogitsProcessor implements LogitsProcessor {
  constructor(
    readonly prefixAllowedTokensFn: PrefixAllowedTokensFn,
    readonly numBeams: number,
  ) {}

  process(inputIds: InputIds, scores: Scores): Scores {
    const masks = inputIds.map((ids, r) => {
      const batchId = Math.floor(r / this.numBeams);
      const allowed = this.prefixAllowedTokensFn(batchId, ids);
      if (allowed.length === 0) {
        invalid(`\`prefix_allowed_tokens_fn\` returned an empty list for batch ID ${batchId}. This means that the constraint is unsatisfiable.`);
      }
      const mask = new Float32Array(scores.vocab).fill(-Infinity);
      for (const t of allowed) mask[t] = 0;
      return mask;
    });
    const out = mapRows(scores, (src, dst, r) => {
      for (let v = 0; v < src.length; v++) dst[v] = src[v]! + masks[r]![v]!;
    });
    const groups = scores.rows / this.numBeams;
    for (let b = 0; b < groups; b++) {
      let satisfiable = false;
      for (let j = 0; j < this.numBeams && !satisfiable; j++) satisfiable = row(out, b * this.numBeams + j).some((s) => s > -Infinity);
      if (!satisfiable) for (let j = 0; j < this.numBeams; j++) row(out, b * this.numBeams + j).set(masks[b * this.numBeams + j]!);
    }
    return out;
  }
}
