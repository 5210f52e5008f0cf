/** What every search strategy is given and returns. */
import type { DecodingSession } from '@ved/core';
import type { LogitsProcessor } from './logits-processor.js';
import type { Scores } from './scores.js';
import type { StoppingCriteria } from './stopping/stopping-criteria.js';
import type { Streamer } from './streaming.js';

export interface DecodeInputs {
  session: DecodingSession;
  /** The prompt of every row (rows already expanded for beams / return sequences), all the same length. */
  prompt: readonly (readonly number[])[];
  processors: readonly LogitsProcessor[];
  criteria: readonly StoppingCriteria[];
  /** Fills finished rows (greedy / sampling) when an eos criterion exists. */
  padTokenId: number | undefined;
  eosTokenIds: number[] | undefined;
  maxLength: number;
  outputScores?: boolean;
  outputLogits?: boolean;
  signal?: AbortSignal;
  streamer?: Streamer;
}

export interface DecodeResult {
  /** Rows padded as Python pads them. */
  sequences: number[][];
  /** Processed scores of every step ([rows, vocab]); with outputScores. */
  scores?: Scores[];
  /** Raw logits of every step; with outputLogits. */
  logits?: Scores[];
  /** Beam search: the length-penalised score of each returned sequence. */
  sequencesScores?: number[];
  /** Beam search: per returned sequence and generated token, the row (image × beam) it came from; -1 pads. */
  beamIndices?: number[][];
}
