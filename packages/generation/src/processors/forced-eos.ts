/** `ForcedEOSTokenLogitsProcessor`: at the last position (`length == maxLength - 1`) only the eos ids remain (score 0). */
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
    return mapRows(scores, (_src, dst) => {
      dst.fill(-Infinity);
      for (const e of this.eosTokenIds) if (e < scores.vocab) dst[e] = 0;
    });
  }
}
