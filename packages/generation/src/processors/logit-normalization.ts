/** `LogitNormalization` (`renormalize_logits`): log_softmax of the processed scores; always the last processor. */
import type { LogitsProcessor } from '../logits-processor.js';
import { logSoftmax, type InputIds, type Scores } from '../scores.js';

export class LogitNormalization implements LogitsProcessor {
  process(_inputIds: InputIds, scores: Scores): Scores {
    return logSoftmax(scores);
  }
}
