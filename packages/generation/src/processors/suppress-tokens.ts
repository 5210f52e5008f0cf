/** `SuppressTokensLogitsProcessor`: the given ids always get -inf. */
import type { LogitsProcessor } from '../logits-processor.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { tokenList } from './validate.js';

export class SuppressTokensLogitsProcessor implements LogitsProcessor {
  readonly suppressTokens: number[];

  constructor(suppressTokens: readonly number[]) {
    this.suppressTokens = tokenList(suppressTokens, 'suppress_tokens');
  }

  readonly canProcessInPlace = true;

  process(_inputIds: InputIds, scores: Scores, inPlace = false): Scores {
    return mapRows(scores, (_src, dst) => {
      for (const t of this.suppressTokens) if (t < scores.vocab) dst[t] = -Infinity;
    }, inPlace);
  }
}
