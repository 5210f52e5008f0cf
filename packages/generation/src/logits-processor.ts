/**
 * The logits-processor contract (transformers `LogitsProcessor`): a pure
 * function of (input ids, scores) that returns new scores and never mutates
 * its input, unless it declares `canProcessInPlace` and is asked to.
 * Built-in processors live in `processors/`, one per file.
 */
import type { InputIds, Scores } from './scores.js';

export interface LogitsProcessor {
  /**
   * @param inputIds every row's ids so far (start token and prompt included)
   * @param scores [rows, vocab] raw logits (greedy / sampling) or log-probabilities (beam search)
   */
  process(inputIds: InputIds, scores: Scores, inPlace?: boolean): Scores;
  /**
   * True when `process(ids, scores, true)` writes its result into `scores` and returns it: the
   * caller owns that matrix and does not need the input any more. Spares a [rows, vocab] copy.
   */
  readonly canProcessInPlace?: boolean;
}

/**
 * Applies `processors` in order. With `owned`, `scores` is the caller's to
 * overwrite (nothing else reads its input values afterwards); a matrix a
 * built-in processor returned is owned too, so later ones write into it.
 */
export function applyProcessors(processors: readonly LogitsProcessor[], inputIds: InputIds, scores: Scores, owned = false): Scores {
  let out = scores;
  for (const p of processors) {
    const inPlace = p.canProcessInPlace === true;
    const next = p.process(inputIds, out, owned && inPlace);
    if (inPlace && next.data !== out.data) owned = true;
    out = next;
  }
  return out;
}

/**
 * Python's `_merge_criteria_processor_list`: a custom entry of the same class
 * as a built-in one replaces it at the built-in's position; the other custom
 * entries are appended, in their order.
 */
export function mergeWithCustom<T extends object>(defaults: readonly T[], custom: readonly T[]): T[] {
  if (custom.length === 0) return [...defaults];
  const out = defaults.map((d) => custom.find((c) => c.constructor === d.constructor && c.constructor !== Object) ?? d);
  for (const c of custom) if (!out.includes(c)) out.push(c);
  return out;
}
