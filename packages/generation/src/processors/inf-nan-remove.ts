/** `InfNanRemoveLogitsProcessor` (`remove_invalid_values`): nan → 0, ±inf → ±float32 max. */
import type { LogitsProcessor } from '../logits-processor.js';
import { FLOAT32_MAX, mapRows, type InputIds, type Scores } from '../scores.js';

export class InfNanRemoveLogitsProcessor implements LogitsProcessor {
  process(_inputIds: InputIds, scores: Scores): Scores {
    return mapRows(scores, (src, dst) => {
      for (let i = 0; i < src.length; i++) {
        const s = src[i]!;
        if (Number.isNaN(s)) dst[i] = 0;
        else if (s === Infinity) dst[i] = FLOAT32_MAX;
        else if (s === -Infinity) dst[i] = -FLOAT32_MAX;
      }
    });
  }
}
