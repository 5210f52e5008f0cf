/**
 * Beam sampling: beam search whose K candidates per image are drawn without
 * replacement from softmax(accumulated scores) instead of taken as the top K
 * (transformers `_beam_search` with `do_sample=True`). The draw is the
 * exponential race documented in random.ts (torch: `topk(p / Exp(1), K)`);
 * zero-probability candidates come last, in torch.topk's order for ties.
 */
import type { DecodeResult } from './decode-types.js';
import { beamSearch, type BeamInputs, type CandidateSelector } from './beam-search.js';
import type { SeededRandom } from '@ved/core';
import { VedError } from '@ved/core';
import { softmaxRow } from './scores.js';
import { topkIndices } from './torch-topk.js';

export function sampleCandidates(random: SeededRandom): CandidateSelector {
  return (accumulated, count) => {
    const probs = softmaxRow(accumulated);
    if (probs.some((p) => Number.isNaN(p))) {
      throw new VedError('RUNTIME', 'probability tensor contains either `inf`, `nan` or element < 0: every candidate was filtered out or the scores are invalid.');
    }
    const keys = new Float64Array(probs.length);
    for (let i = 0; i < probs.length; i++) {
      const e = -Math.log(1 - random.nextDouble());
      const p = probs[i]!;
      keys[i] = p > 0 ? p / e : 0;
    }
    // torch.multinomial without replacement: topk of p / Exp(1).
    return topkIndices(keys, count);
  };
}

export function beamSample(inputs: BeamInputs & { random: SeededRandom }): Promise<DecodeResult> {
  return beamSearch(inputs, sampleCandidates(inputs.random));
}
