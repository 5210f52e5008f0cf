/** `SuppressTokensAtBeginLogitsProcessor`: the given ids get -inf at the first generated position (`length == beginIndex`). */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { tokenList } from './validate.js';

export class SuppressTokensAtBeginLogitsProcessor implements LogitsProcessor {
  readonly beginSuppressTokens: number[];

  constructor(
    beginSuppressTokens: readonly number[],
    readonly beginIndex: number,
  ) {
    this.beginSuppressTokens = tokenList(beginSuppressTokens, 'begin_suppress_tokens');
  }

  readonly canProcessInPlace = true;

  process(inputIds: InputIds, scores: Scores, inPlace = false): Scores {
    if ((inputIds[0]?.length ?? 0) !== this.beginIndex) return scores;
    return mapRows(scores, (_src, dst) => {
      for (const t of this.beginSuppressTokens) if (t < scores.vocab) dst[t] = -Infinity;
    }, inPlace);
  }
}
