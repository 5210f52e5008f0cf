/** `MinNewTokensLengthLogitsProcessor`: eos gets -inf until `minNewTokens` tokens follow the prompt. */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid, tokenList } from './validate.js';

export class MinNewTokensLengthLogitsProcessor implements LogitsProcessor {
  readonly eosTokenIds: number[];

  constructor(
    readonly promptLengthToSkip: number,
    readonly minNewTokens: number,
    eosTokenId: number | readonly number[],
  ) {
    for (const [name, v] of [
      ['prompt_length_to_skip', promptLengthToSkip],
      ['min_new_tokens', minNewTokens],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) invalid(`\`${name}\` has to be a positive integer, but is ${v}`);
    }
    this.eosTokenIds = tokenList(eosTokenId, 'eos_token_id');
  }

  readonly canProcessInPlace = true;

  process(inputIds: InputIds, scores: Scores, inPlace = false): Scores {
    return mapRows(scores, (_src, dst, r) => {
      if (inputIds[r]!.length - this.promptLengthToSkip >= this.minNewTokens) return;
      for (const e of this.eosTokenIds) if (e < scores.vocab) dst[e] = -Infinity;
    }, inPlace);
  }
}
