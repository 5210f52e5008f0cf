/**
 * `ExponentialDecayLengthPenalty`: after `start` new tokens, eos scores grow
 * by `|s| * (factor^(length - start - promptLength) - 1)`, so that rows end
 * sooner without a hard cut.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid, tokenList } from './validate.js';

export class ExponentialDecayLengthPenalty implements LogitsProcessor {
  readonly regulationStart: number;
  readonly regulationFactor: number;
  readonly eosTokenIds: number[];

  constructor(exponentialDecayLengthPenalty: readonly [number, number], eosTokenId: number | readonly number[] | undefined, inputIdsSeqLength: number) {
    if (eosTokenId === undefined) invalid('`exponential_decay_length_penalty` needs `eos_token_id` to be set.');
    this.regulationStart = exponentialDecayLengthPenalty[0] + inputIdsSeqLength;
    this.regulationFactor = exponentialDecayLengthPenalty[1];
    this.eosTokenIds = tokenList(eosTokenId, 'eos_token_id');
  }

  process(inputIds: InputIds, scores: Scores): Scores {
    const curLen = inputIds[0]?.length ?? 0;
    if (curLen <= this.regulationStart) return scores;
    // Python float math, then a float32 multiply.
    const factor = Math.fround(Math.pow(this.regulationFactor, curLen - this.regulationStart) - 1);
    return mapRows(scores, (src, dst) => {
      const penalty = new Map<number, number>();
      for (const e of this.eosTokenIds) if (e < scores.vocab) penalty.set(e, Math.fround(Math.abs(src[e]!) * factor));
      for (const [e, p] of penalty) dst[e] = src[e]! + p;
    });
  }
}
