/**
 * `NoBadWordsLogitsProcessor`: a sequence bias of -inf. A length-1 entry bans
 * its token everywhere; a longer one bans its last token after its prefix.
 * Entries that are exactly one eos id are dropped (eos must stay reachable).
 */
import { SequenceBiasLogitsProcessor } from './sequence-bias.js';
import { invalid } from './validate.js';

export class NoBadWordsLogitsProcessor extends SequenceBiasLogitsProcessor {
  constructor(badWordsIds: readonly (readonly number[])[], eosTokenId?: number | readonly number[]) {
    if (!Array.isArray(badWordsIds) || badWordsIds.length === 0) invalid(`\`bad_words_ids\` has to be a non-empty list, but is ${JSON.stringify(badWordsIds)}.`);
    if (badWordsIds.some((w) => !Array.isArray(w))) invalid(`\`bad_words_ids\` has to be a list of lists, but is ${JSON.stringify(badWordsIds)}.`);
    if (badWordsIds.some((w: readonly number[]) => w.some((t: number) => !Number.isInteger(t) || t < 0))) {
      invalid(`Each list in \`bad_words_ids\` has to be a list of positive integers, but is ${JSON.stringify(badWordsIds)}.`);
    }
    const eos = eosTokenId === undefined ? [] : typeof eosTokenId === 'number' ? [eosTokenId] : [...eosTokenId];
    const kept = badWordsIds.filter((w) => !eos.some((e) => w.length === 1 && w[0] === e));
    // Python builds this dict from the filtered list and checks only `bad_words_ids` (its own
    // `_validate_arguments`): banning nothing but the eos tokens leaves an empty dict, a no-op.
    super(
      kept.map((w) => [[...w], -Infinity] as [number[], number]),
      true,
    );
  }
}
