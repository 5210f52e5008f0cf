/** `MinLengthLogitsProcessor`: eos gets -inf while a row is shorter than `minLength` (start token and prompt counted). */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid, tokenList } from './validate.js';

export class MinLengthLogitsProcessor implements LogitsProcessor {
  readonly eosTokenIds: number[];

  constructor(
    readonly minLength: number,
    eosTokenId: number | readonly number[],
  ) {
    if (!Number.isInteger(minLength) || minLength < 0) invalid(`\`min_length\` has to be a non-negative integer, but is ${minLength}`);
    this.eosTokenIds = tokenList(eosTokenId, 'eos_token_id');
  }

  readonly canProcessInPlace = true;

  process(inputIds: InputIds, scores: Scores, inPlace = false): Scores {
    return mapRows(scores, (_src, dst, r) => {
      if (inputIds[r]!.length >= this.minLength) return;
      for (const e of this.eosTokenIds) if (e < scores.vocab) dst[e] = -Infinity;
    }, inPlace);
  }
}
