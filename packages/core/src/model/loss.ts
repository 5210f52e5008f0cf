/**
 * Training loss of `VisionEncoderDecoderModel.forward(labels=...)`
 * (transformers `models/vision_encoder_decoder/modeling_vision_encoder_decoder.py`):
 * decoder inputs are the labels shifted right with `decoder_start_token_id`
 * (-100 → `pad_token_id`), and the loss is the token-mean cross-entropy over
 * the whole batch, ignoring -100, with no extra shift and no smoothing.
 */
import { VedError } from '../errors.js';
import type { StepLogits } from './decoding.js';

export const IGNORE_INDEX = -100;

/** transformers' `shift_tokens_right`. */
export function shiftTokensRight(labels: readonly (readonly number[])[], padTokenId: number, decoderStartTokenId: number): number[][] {
  return labels.map((row) => {
    const shifted = [decoderStartTokenId, ...row.slice(0, -1)];
    return shifted.map((id) => (id === IGNORE_INDEX ? padTokenId : id));
  });
}

/** `CrossEntropyLoss()` (mean over non-ignored tokens of the batch) of logits [B, T, V] against labels [B, T]. */
export function crossEntropyLoss(logits: StepLogits, labels: readonly (readonly number[])[]): number {
  const { rows, positions, vocab, data } = logits;
  if (labels.length !== rows || labels.some((row) => row.length !== positions)) {
    throw new VedError('INVALID_INPUT', `labels have shape [${labels.length}, ${labels[0]?.length ?? 0}], expected [${rows}, ${positions}] to match the logits.`);
  }
  let total = 0;
  let count = 0;
  labels.forEach((row, b) => {
    row.forEach((label, t) => {
      if (label === IGNORE_INDEX) return;
      if (!Number.isInteger(label) || label < 0 || label >= vocab) {
        throw new VedError('INVALID_INPUT', `labels[${b}][${t}] is ${label}; expected a token id in [0, ${vocab}) or -100 (ignored).`);
      }
      const offset = (b * positions + t) * vocab;
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) max = Math.max(max, data[offset + v]!);
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(data[offset + v]! - max);
      total += Math.log(sum) + max - data[offset + label]!;
      count += 1;
    });
  });
  // Python returns nan when every label is ignored.
  return count === 0 ? Number.NaN : total / count;
}
