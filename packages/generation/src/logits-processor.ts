/**
 * The logits-processor contract (transformers `LogitsProcessor`): a pure
 * function of (input ids, scores) that returns new scores and never mutates
 * its input. Built-in processors live in `processors/`, one per file.
 */
import type { InputIds, Scores } from './scores.js';

export interface LogitsProcessor {
  /**
   * @param inputIds every row's ids so far (start token and prompt included)
   * @param scores [rows, vocab] raw logits (greedy / sampling) or log-probabilities (beam search)
   */
  process(inputIds: InputIds, scores: Scores): Scores;
}

/** Applies `processors` in order. */
export function applyProcessors(processors: readonly LogitsProcessor[], inputIds: InputIds, scores: Scores): Scores {
  let out = scores;
  for (const p of processors) out = p.process(inputIds, out);
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
