/**
 * The decoding loop of greedy search and multinomial sampling (transformers
 * `generation/utils.py`, `GenerationMixin._sample`): process the last
 * logits, pick one token per row, give finished rows `pad` when an eos
 * criterion exists, stop when every row is done. Finished rows still run
 * through the model.
 */
import { VedError } from '@ved/core';
import type { DecodeInputs, DecodeResult } from './decode-types.js';
import { applyProcessors } from './logits-processor.js';
import { cloneScores, type Scores } from './scores.js';
import { anyDone, hasEosCriteria } from './stopping/stopping-criteria.js';

/** Picks row `r`'s next token from the processed scores. */
export type TokenSelector = (scores: Scores, r: number) => number;

export async function runSampleLoop(inputs: DecodeInputs, select: TokenSelector): Promise<DecodeResult> {
  const { session, processors, criteria, padTokenId, signal, streamer } = inputs;
  const sequences = inputs.prompt.map((row) => [...row]);
  const unfinished = sequences.map(() => true);
  const padFinished = hasEosCriteria(criteria);
  if (padFinished && padTokenId === undefined) {
    throw new VedError('INVALID_OPTION', 'An eos stopping criterion is active but neither `pad_token_id` nor `eos_token_id` is set, so finished rows cannot be padded.');
  }
  const scores: Scores[] | undefined = inputs.outputScores ? [] : undefined;
  const logits: Scores[] | undefined = inputs.outputLogits ? [] : undefined;
  streamer?.put(sequences.map((row) => [...row]));
  let feed: number[][] = sequences.map((row) => [...row]);
  for (;;) {
    signal?.throwIfAborted();
    const step = await session.step(feed);
    signal?.throwIfAborted();
    const raw: Scores = { data: step.data, rows: step.rows, vocab: step.vocab };
    // The step's logits are this loop's; processors may overwrite them unless they are returned as they came.
    const processed = applyProcessors(processors, sequences, raw, !inputs.outputLogits);
    scores?.push(processed === raw ? cloneScores(raw) : processed);
    logits?.push(cloneScores(raw));
    // Every row draws (finished ones too), so a seeded run does not depend on when rows finish.
    const next = sequences.map((_, r) => {
      const picked = select(processed, r);
      return padFinished && !unfinished[r] ? (padTokenId as number) : picked;
    });
    next.forEach((t, r) => sequences[r]!.push(t));
    anyDone(criteria, sequences, scores).forEach((done, r) => {
      if (done) unfinished[r] = false;
    });
    streamer?.put(next);
    if (!unfinished.some(Boolean)) break;
    feed = next.map((t) => [t]);
  }
  streamer?.end();
  return { sequences, ...(scores ? { scores } : {}), ...(logits ? { logits } : {}) };
}
