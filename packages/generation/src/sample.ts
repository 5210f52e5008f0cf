/**
 * Multinomial sampling: the `_sample` loop drawing each row's token from
 * softmax(processed scores) with ved's seeded PRNG (random.ts documents the draw).
 */
import { VedError } from '@ved/core';
import type { DecodeInputs, DecodeResult } from './decode-types.js';
import type { SeededRandom } from '@ved/core';
import { runSampleLoop } from './sample-loop.js';
import { row, softmaxRow } from './scores.js';

/** One draw from softmax(`logits`): the first index whose cumulative probability exceeds `u × total`. */
export function sampleIndex(logits: ArrayLike<number>, random: SeededRandom): number {
  const probs = softmaxRow(logits);
  let total = 0;
  for (const p of probs) total += p;
  if (!(total > 0) || !Number.isFinite(total)) {
    throw new VedError('RUNTIME', 'probability tensor contains either `inf`, `nan` or element < 0: every token was filtered out or the scores are invalid.');
  }
  const target = random.nextDouble() * total;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p <= 0) continue;
    cum += p;
    last = i;
    if (cum > target) return i;
  }
  return last;
}

export function multinomialSample(inputs: DecodeInputs & { random: SeededRandom }): Promise<DecodeResult> {
  return runSampleLoop(inputs, (scores, r) => sampleIndex(row(scores, r), inputs.random));
}
