/**
 * `SequenceBiasLogitsProcessor`: adds a bias to a token when it would
 * complete a given sequence (a length-1 sequence: always). Biases of several
 * sequences ending in the same token add up.
 */
import type { LogitsProcessor } from '../logits-processor.js';
import type { SequenceBias } from '../generation-config.js';
import { mapRows, type InputIds, type Scores } from '../scores.js';
import { invalid } from './validate.js';

export class SequenceBiasLogitsProcessor implements LogitsProcessor {
  /** Unique sequences (a later duplicate overrides, like Python's dict), in first-seen order. */
  protected readonly entries: Array<[number[], number]>;

  /**
   * `allowEmpty`: for `NoBadWordsLogitsProcessor`, which in Python overrides `_validate_arguments` with its
   * own check of `bad_words_ids`, so the dict it builds after dropping the eos tokens may be empty (a no-op).
   */
  constructor(sequenceBias: SequenceBias, allowEmpty = false) {
    if (!Array.isArray(sequenceBias) || (sequenceBias.length === 0 && !allowEmpty)) {
      invalid(`\`sequence_bias\` has to be a non-empty dictionary, or non-empty list of lists but is ${JSON.stringify(sequenceBias)}.`);
    }
    const valid = (e: unknown) =>
      Array.isArray(e) &&
      Array.isArray(e[0]) &&
      e[0].length > 0 &&
      e[0].every((t: unknown) => Number.isInteger(t) && (t as number) >= 0) &&
      typeof e[1] === 'number';
    if (!sequenceBias.every(valid)) {
      invalid(`Each element in \`sequence_bias\` has to be a non-empty list of lists of positive integers and float, but is ${JSON.stringify(sequenceBias)}.`);
    }
    const byKey = new Map<string, [number[], number]>();
    for (const [ids, bias] of sequenceBias) byKey.set(ids.join(','), [[...ids], bias]);
    this.entries = [...byKey.values()];
  }

  process(inputIds: InputIds, scores: Scores): Scores {
    const V = scores.vocab;
    const tooBig = this.entries.flatMap(([ids]) => ids.filter((t) => t >= V));
    if (tooBig.length > 0) invalid(`The model vocabulary size is ${V}, but the following tokens were being biased: ${JSON.stringify(tooBig)}`);
    const single = new Float32Array(V);
    for (const [ids, bias] of this.entries) if (ids.length === 1) single[ids[0]!] = bias;
    return mapRows(scores, (src, dst, r) => {
      const bias = single.slice();
      const row = inputIds[r]!;
      for (const [ids, b] of this.entries) {
        if (ids.length === 1) continue;
        const prefix = ids.length - 1;
        if (prefix > row.length) continue;
        let match = true;
        for (let j = 0; j < prefix && match; j++) match = row[row.length - prefix + j] === ids[j];
        if (match) bias[ids[prefix]!] = bias[ids[prefix]!]! + b;
      }
      for (let v = 0; v < V; v++) dst[v] = src[v]! + bias[v]!;
    });
  }
}
