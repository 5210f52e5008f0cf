/**
 * Greedy search: Python's `_sample` loop without sampling (spec §6.3). Rows
 * that reached eos keep running through the model but receive `pad`; the loop
 * ends when every row is done or `maxLength` is reached.
 */
import type { DecodingSession } from '@ved/core';

export interface GreedyInputs {
  session: DecodingSession;
  /** The prompt of every row (all the same length). */
  prompt: number[][];
  maxLength: number;
  eosTokenIds: number[] | undefined;
  padTokenId: number | undefined;
  signal?: AbortSignal;
}

/** Index of the largest value in `data[offset, offset+length)`; ties go to the first, as torch.argmax. */
export function argmax(data: Float32Array, offset: number, length: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = data[offset + i]!;
    if (v > bestValue || (Number.isNaN(v) && !Number.isNaN(bestValue))) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

export async function greedySearch(inputs: GreedyInputs): Promise<number[][]> {
  const { session, maxLength, eosTokenIds, padTokenId } = inputs;
  const sequences = inputs.prompt.map((row) => [...row]);
  const unfinished = sequences.map(() => true);
  let next: number[][] = sequences.map((row) => row);
  while ((sequences[0]?.length ?? maxLength) < maxLength) {
    inputs.signal?.throwIfAborted();
    const logits = await session.step(next);
    const tokens = sequences.map((_, r) => {
      const best = argmax(logits.data, r * logits.vocab, logits.vocab);
      return unfinished[r] || eosTokenIds === undefined ? best : (padTokenId as number);
    });
    tokens.forEach((t, r) => {
      sequences[r]!.push(t);
      if (eosTokenIds?.includes(t)) unfinished[r] = false;
    });
    if (!unfinished.some(Boolean)) break;
    next = tokens.map((t) => [t]);
  }
  return sequences;
}
