/**
 * A batch of label rows → what the training graph takes: labels padded with
 * -100 to the longest row (what `DataCollatorForSeq2Seq` does with
 * `label_pad_token_id=-100`), and decoder inputs made as
 * `VisionEncoderDecoderModel.forward` makes them from the labels
 * (transformers' `shift_tokens_right`: start token first, -100 → pad).
 */
import { IGNORE_INDEX, shiftTokensRight } from '@ved/core';

export interface CollatedLabels {
  /** [B, T], -100 after each row's end. */
  labels: number[][];
  /** [B, T], the labels shifted right. */
  decoderInputIds: number[][];
  /** Label positions that count in the loss (not -100). */
  tokens: number;
}

export function collateLabels(rows: readonly (readonly number[])[], padTokenId: number, decoderStartTokenId: number): CollatedLabels {
  const length = Math.max(1, ...rows.map((r) => r.length));
  const labels = rows.map((r) => [...r, ...new Array<number>(length - r.length).fill(IGNORE_INDEX)]);
  const tokens = labels.reduce((sum, row) => sum + row.filter((id) => id !== IGNORE_INDEX).length, 0);
  return { labels, decoderInputIds: shiftTokensRight(labels, padTokenId, decoderStartTokenId), tokens };
}
