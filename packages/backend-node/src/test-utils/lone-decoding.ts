/** The reference a batched decoding test compares with: one image decoded alone. */
import type { EncodedImages, VisionEncoderDecoderModel } from '@ved/core';

/** The logits of each step of feeding `tokens`, one per step, to image `image` of `encoded` alone. */
export async function loneLogits(model: VisionEncoderDecoderModel, encoded: EncodedImages, image: number, tokens: readonly number[]): Promise<Float32Array[]> {
  const session = model.startDecoding(encoded, [image]);
  const out: Float32Array[] = [];
  try {
    for (const t of tokens) out.push((await session.step([[t]])).data.slice());
  } finally {
    session.dispose();
  }
  return out;
}
