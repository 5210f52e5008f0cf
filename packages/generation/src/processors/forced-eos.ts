/** `ForcedEOSTokenLogitsProcessor`: at the last position (`length == maxLength - 1`) only the eos ids remain (score 0). */
import { tokenOutOfRange } from '@ved/core';
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { tokenList } from './validate.js';

export class ForcedEOSTokenLogitsProcessor implements LogitsProcessor {
  readonly eosTokenIds: number[];

  constructor(
    readonly maxLength: number,
    eosTokenId: number | readonly number[],
  ) {
    this.eosTokenIds = tokenList(eosTokenId, 'eos_token_id');
  }

  process(inputIds: InputIds, scores: Scores): Scores {
    if ((inputIds[0]?.length ?? 0) !== this.maxLength - 1) return scores;
    // Python: `IndexError: index 1000 is out of bounds for dimension 0 with size 300` (tools/reference/probe_hardening.py).
    const outside = this.eosTokenIds.find((e) => e >= scores.vocab);
    if (outside !== undefined) throw tokenOutOfRange('`forced_eos_token_id`', outside, scores.vocab);
    return mapRows(scores, (_src, dst) => {
      dst.fill(-Infinity);
      for (const e of this.eosTokenIds) dst[e] = 0;
    });
  }
}
