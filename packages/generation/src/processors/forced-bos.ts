/** `ForcedBOSTokenLogitsProcessor`: the first generated token (rows of length 1) is forced: 0 for it, -inf elsewhere. */
import { tokenOutOfRange } from '@ved/core';
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid } from './validate.js';

export class ForcedBOSTokenLogitsProcessor implements LogitsProcessor {
  constructor(readonly bosTokenId: number) {
    if (!Number.isInteger(bosTokenId) || bosTokenId < 0) invalid(`\`forced_bos_token_id\` has to be a positive integer, but is ${bosTokenId}`);
  }

  process(inputIds: InputIds, scores: Scores): Scores {
    if ((inputIds[0]?.length ?? 0) !== 1) return scores;
    // Python: `IndexError: index 1000 is out of bounds for dimension 1 with size 300` (tools/reference/probe_hardening.py).
    if (this.bosTokenId >= scores.vocab) throw tokenOutOfRange('`forced_bos_token_id`', this.bosTokenId, scores.vocab);
    return mapRows(scores, (_src, dst) => {
      dst.fill(-Infinity);
      dst[this.bosTokenId] = 0;
    });
  }
}
