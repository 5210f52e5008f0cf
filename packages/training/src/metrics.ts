/**
 * Text metrics of an evaluation: the exact-match rate, the character error rate and the word error rate, as
 * `ved eval` reports them (`@ved/core`'s text-metrics.ts: torchmetrics' CER and WER, summed over examples).
 */
import { scoreTexts } from '@ved/core';

export { levenshtein } from '@ved/core';

export interface TextMetrics {
  exactMatch: number;
  cer: number;
  wer: number;
}

export function textMetrics(predictions: readonly string[], references: readonly string[]): TextMetrics {
  const { exactMatch, cer, wer } = scoreTexts(predictions, references);
  return { exactMatch, cer, wer };
}
