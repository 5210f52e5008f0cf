/** Option checks shared by the processors: Python's conditions, VedError messages. */
import { VedError } from '@ved/core';

export function invalid(message: string): never {
  throw new VedError('INVALID_OPTION', message);
}

export function tokenList(ids: number | readonly number[], what: string): number[] {
  const list = typeof ids === 'number' ? [ids] : [...ids];
  if (list.some((t) => !Number.isInteger(t) || t < 0)) invalid(`\`${what}\` has to be a list of positive integers, but is ${JSON.stringify(ids)}`);
  return list;
}

export function minTokensToKeep(keep: number | undefined): number {
  const k = keep ?? 1;
  if (!Number.isInteger(k) || k < 1) invalid(`\`min_tokens_to_keep\` has to be a positive integer, but is ${k}`);
  return k;
}

/** A [vocab] mask with `true` at each id of `ids` that lies inside the vocabulary. */
export function idMask(vocab: number, ids: readonly number[]): Uint8Array {
  const mask = new Uint8Array(vocab);
  for (const t of ids) if (t >= 0 && t < vocab) mask[t] = 1;
  return mask;
}

/** A number as Python's repr prints a float (`0.0`, `1.5`): error messages quote Python's. */
export function pyFloat(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}
