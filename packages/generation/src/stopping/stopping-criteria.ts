/**
 * Stopping criteria (transformers `generation/stopping_criteria.py`): each
 * says, per row, whether that row is done. Any criterion marks a row done.
 */
import type { InputIds, Scores } from '../scores.js';

export interface StoppingCriteria {
  /**
   * @param inputIds every row's ids, the newest token included
   * @param scores the processed scores of every step so far, when `outputScores` is on (as Python passes them)
   */
  isDone(inputIds: InputIds, scores: readonly Scores[] | undefined): boolean[];
}

/** Rows for which any criterion is done. */
export function anyDone(criteria: readonly StoppingCriteria[], inputIds: InputIds, scores: readonly Scores[] | undefined): boolean[] {
  const done = inputIds.map(() => false);
  for (const c of criteria) c.isDone(inputIds, scores).forEach((d, r) => (done[r] = done[r]! || d));
  return done;
}

/** Python's `has_eos_stopping_criteria`: some criterion stops on eos (it has an `eosTokenId`). */
export function hasEosCriteria(criteria: readonly StoppingCriteria[]): boolean {
  return criteria.some((c) => 'eosTokenId' in c);
}

/** Done once the sequence (start token and prompt included) has `maxLength` tokens. */
export class MaxLengthCriteria implements StoppingCriteria {
  constructor(readonly maxLength: number) {}

  isDone(inputIds: InputIds): boolean[] {
    const done = (inputIds[0]?.length ?? 0) >= this.maxLength;
    return inputIds.map(() => done);
  }
}

/** Done for every row once more than `maxTime` seconds have passed since the criterion was made. */
export class MaxTimeCriteria implements StoppingCriteria {
  readonly initialTimestamp: number;

  constructor(
    readonly maxTime: number,
    initialTimestamp?: number,
  ) {
    this.initialTimestamp = initialTimestamp ?? Date.now() / 1000;
  }

  isDone(inputIds: InputIds): boolean[] {
    const done = Date.now() / 1000 - this.initialTimestamp > this.maxTime;
    return inputIds.map(() => done);
  }
}

/** Done when a row's last token is one of the eos ids. */
export class EosTokenCriteria implements StoppingCriteria {
  readonly eosTokenId: number[];

  constructor(eosTokenId: number | readonly number[]) {
    this.eosTokenId = typeof eosTokenId === 'number' ? [eosTokenId] : [...eosTokenId];
  }

  isDone(inputIds: InputIds): boolean[] {
    return inputIds.map((ids) => ids.length > 0 && this.eosTokenId.includes(ids[ids.length - 1]!));
  }
}
