/**
 * What streaming (`stream()`, `onToken`) does when the generation config asks
 * for beams. Python refuses a streamer with beam search
 * (`transformers/generation/utils.py`, `GenerationMixin.generate`: "`streamer`
 * cannot be used with beam search (yet!)"): the tokens of the best beam are
 * not final until the search ends. Many checkpoints (the default model included)
 * ask for beams in their `generation_config.json`, so refusing would make
 * `stream()` fail out of the box. ved's rule:
 *
 * - `'greedy'`: decode with one beam (greedy search, or sampling with
 *   `doSample`) and stream each token as it comes. The text is greedy's,
 *   which may differ from what beam search would return.
 * - `'whole'`: run the beams exactly as `generate()` does; the tokens are
 *   streamed (replayed step by step) once the search has finished.
 * - `'error'`: Python's behaviour.
 *
 * Default: `'greedy'` when the beams come only from the checkpoint's
 * generation config, `'whole'` when the call itself asks for `numBeams > 1`
 * (the caller wants beam search's answer).
 */
import { VedError } from '@ved/core';
import { mergeGeneration, type GenerationOptions } from '@ved/generation';

export type BeamStreaming = 'greedy' | 'whole' | 'error';

export interface StreamingPlan {
  /** The options to generate with (`numBeams: 1` added for `'greedy'`). */
  options: GenerationOptions;
  /** `'tokens'`: streamed as generated; `'whole'`: replayed after generation. */
  delivery: 'tokens' | 'whole';
  /** Beams the generation will use. */
  numBeams: number;
}

const CHOICES: readonly BeamStreaming[] = ['greedy', 'whole', 'error'];

export function planStreaming(modelConfig: GenerationOptions, call: GenerationOptions, choice: BeamStreaming | undefined): StreamingPlan {
  if (choice !== undefined && !CHOICES.includes(choice)) {
    throw new VedError('INVALID_OPTION', `option "beamStreaming" must be one of ${CHOICES.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(choice)}.`);
  }
  const merged = mergeGeneration(modelConfig, call);
  const numBeams = merged.options.numBeams ?? 1;
  if (merged.mode !== 'beam_search' && merged.mode !== 'beam_sample') return { options: call, delivery: 'tokens', numBeams };
  const askedForBeams = call.numBeams !== undefined && call.numBeams !== null && call.numBeams > 1;
  const askedForSequences = call.numReturnSequences !== undefined && call.numReturnSequences !== null && call.numReturnSequences > 1 && merged.options.doSample !== true;
  const pick = choice ?? (askedForBeams || askedForSequences ? 'whole' : 'greedy');
  if (pick === 'error') {
    throw new VedError(
      'INVALID_OPTION',
      `\`streamer\` cannot be used with beam search (num_beams=${numBeams}). Set numBeams: 1, or beamStreaming: 'greedy' (stream one beam) or 'whole' (stream after the search).`,
    );
  }
  if (pick === 'whole') return { options: call, delivery: 'whole', numBeams };
  if (askedForSequences) {
    throw new VedError(
      'INVALID_OPTION',
      `beamStreaming: 'greedy' decodes one beam, which cannot return numReturnSequences=${call.numReturnSequences} sequences without sampling; use beamStreaming: 'whole' or doSample: true.`,
    );
  }
  // Beam-only settings of the checkpoint (more return sequences than one beam gives) are dropped with the beams.
  const nrs = merged.options.numReturnSequences ?? 1;
  return { options: { ...call, numBeams: 1, ...(nrs > 1 && merged.options.doSample !== true ? { numReturnSequences: 1 } : {}) }, delivery: 'tokens', numBeams: 1 };
}
