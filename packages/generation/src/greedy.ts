/** Greedy search: the `_sample` loop taking the argmax of the processed scores (ties go to the first id, as torch.argmax). */
import type { DecodeInputs, DecodeResult } from './decode-types.js';
import { runSampleLoop } from './sample-loop.js';
import { argmax } from './scores.js';

export function greedySearch(inputs: DecodeInputs): Promise<DecodeResult> {
  return runSampleLoop(inputs, (scores, r) => argmax(scores.data, r * scores.vocab, scores.vocab));
}
