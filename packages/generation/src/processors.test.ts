/**
 * Every logits processor and warper against transformers 5.18 on the same
 * synthetic scores (fixtures/generation/processors.json, written by
 * tools/reference/make_generation_fixtures.py), plus purity and option checks.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { VedError, parseSafetensors } from '@ved/core';
import { applyProcessors, type LogitsProcessor } from './logits-processor.js';
import { makeScores, type Scores } from './scores.js';
import { EpsilonLogitsWarper } from './processors/epsilon.js';
import { EtaLogitsWarper } from './processors/eta.js';
import { ExponentialDecayLengthPenalty } from './processors/exponential-decay-length-penalty.js';
import { ForcedBOSTokenLogitsProcessor } from './processors/forced-bos.js';
import { ForcedEOSTokenLogitsProcessor } from './processors/forced-eos.js';
import { InfNanRemoveLogitsProcessor } from './processors/inf-nan-remove.js';
import { LogitNormalization } from './processors/logit-normalization.js';
import { MinLengthLogitsProcessor } from './processors/min-length.js';
import { MinNewTokensLengthLogitsProcessor } from './processors/min-new-tokens.js';
import { MinPLogitsWarper } from './processors/min-p.js';
import { NoBadWordsLogitsProcessor } from './processors/no-bad-words.js';
import { NoRepeatNGramLogitsProcessor } from './processors/no-repeat-ngram.js';
import { PrefixConstrainedLogitsProcessor } from './processors/prefix-constrained.js';
import { RepetitionPenaltyLogitsProcessor } from './processors/repetition-penalty.js';
import { SequenceBiasLogitsProcessor } from './processors/sequence-bias.js';
import { SuppressTokensAtBeginLogitsProcessor } from './processors/suppress-tokens-at-begin.js';
import { SuppressTokensLogitsProcessor } from './processors/suppress-tokens.js';
import { TemperatureLogitsWarper } from './processors/temperature.js';
import { TopHLogitsWarper } from './processors/top-h.js';
import { TopKLogitsWarper } from './processors/top-k.js';
import { TopPLogitsWarper } from './processors/top-p.js';
import { TypicalLogitsWarper } from './processors/typical.js';

const FIXTURES = new URL('../../../fixtures/generation/', import.meta.url);
const meta = JSON.parse(readFileSync(new URL('processors.json', FIXTURES), 'utf8')) as {
  input_ids: number[][];
  cases: Array<{ name: string; processor: string; args: Record<string, any>; input_ids_length: number; scores: string }>;
};
const bytes = readFileSync(new URL('processors.safetensors', FIXTURES));
const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'processors.safetensors');

function matrix(name: string): Scores {
  const [rows, vocab] = tensors.info(name).shape as [number, number];
  return makeScores(rows, vocab, tensors.getFloat32(name));
}

const keep = (a: Record<string, any>) => ({ minTokensToKeep: a.min_tokens_to_keep as number });
const BUILD: Record<string, (a: Record<string, any>) => LogitsProcessor> = {
  RepetitionPenalty: (a) => new RepetitionPenaltyLogitsProcessor(a.penalty),
  NoRepeatNGram: (a) => new NoRepeatNGramLogitsProcessor(a.ngram_size),
  NoBadWords: (a) => new NoBadWordsLogitsProcessor(a.bad_words_ids, a.eos_token_id),
  SequenceBias: (a) => new SequenceBiasLogitsProcessor(a.sequence_bias),
  MinLength: (a) => new MinLengthLogitsProcessor(a.min_length, a.eos_token_id),
  MinNewTokensLength: (a) => new MinNewTokensLengthLogitsProcessor(a.prompt_length_to_skip, a.min_new_tokens, a.eos_token_id),
  ForcedBOSToken: (a) => new ForcedBOSTokenLogitsProcessor(a.bos_token_id),
  ForcedEOSToken: (a) => new ForcedEOSTokenLogitsProcessor(a.max_length, a.eos_token_id),
  InfNanRemove: () => new InfNanRemoveLogitsProcessor(),
  ExponentialDecayLengthPenalty: (a) => new ExponentialDecayLengthPenalty(a.exponential_decay_length_penalty, a.eos_token_id, a.input_ids_seq_length),
  SuppressTokens: (a) => new SuppressTokensLogitsProcessor(a.suppress_tokens),
  SuppressTokensAtBegin: (a) => new SuppressTokensAtBeginLogitsProcessor(a.begin_suppress_tokens, a.begin_index),
  LogitNormalization: () => new LogitNormalization(),
  Temperature: (a) => new TemperatureLogitsWarper(a.temperature),
  TopK: (a) => new TopKLogitsWarper(a.top_k, keep(a)),
  TopP: (a) => new TopPLogitsWarper(a.top_p, keep(a)),
  MinP: (a) => new MinPLogitsWarper(a.min_p, keep(a)),
  Typical: (a) => new TypicalLogitsWarper(a.mass, keep(a)),
  Epsilon: (a) => new EpsilonLogitsWarper(a.epsilon, keep(a)),
  Eta: (a) => new EtaLogitsWarper(a.epsilon, keep(a)),
  TopH: (a) => new TopHLogitsWarper(a.top_h),
};

describe('logits processors against Python', () => {
  let worst = 0;
  for (const c of meta.cases) {
    it(`${c.name} (${c.processor})`, () => {
      const input = matrix(c.scores);
      const before = input.data.slice();
      const ids = meta.input_ids.map((row) => row.slice(0, c.input_ids_length));
      const out = BUILD[c.processor]!(c.args).process(ids, input);
      const expected = matrix(`${c.name}/expected`);
      expect([out.rows, out.vocab]).toEqual([expected.rows, expected.vocab]);
      for (let i = 0; i < expected.data.length; i++) {
        const e = expected.data[i]!;
        const a = out.data[i]!;
        if (!Number.isFinite(e)) expect(a, `[${i}]`).toBe(e);
        else {
          worst = Math.max(worst, Math.abs(a - e));
          expect(Math.abs(a - e), `[${i}] ${a} vs ${e}`).toBeLessThan(1e-5);
        }
      }
      // Pure: the input is untouched (an inactive processor may return it as is, like Python).
      expect(Array.from(input.data)).toEqual(Array.from(before));
    });
  }
  it('max difference', () => {
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('processor options are validated as in Python', () => {
  const cases: Array<[() => unknown, string]> = [
    [() => new TemperatureLogitsWarper(0), '`temperature` (=0.0) has to be a strictly positive float'],
    [() => new TemperatureLogitsWarper(-1), '`temperature` (=-1.0) has to be a strictly positive float'],
    [() => new TopKLogitsWarper(0), '`top_k` has to be a strictly positive integer, but is 0'],
    [() => new TopKLogitsWarper(3, { minTokensToKeep: 0 }), '`min_tokens_to_keep` has to be a positive integer'],
    [() => new TopPLogitsWarper(1.5), '`top_p` has to be a float > 0 and < 1, but is 1.5'],
    [() => new MinPLogitsWarper(2), '`min_p` has to be a float in the [0, 1] interval'],
    [() => new TypicalLogitsWarper(1), '`typical_p` has to be a float > 0 and < 1, but is 1.0'],
    [() => new EpsilonLogitsWarper(0), '`epsilon_cutoff` has to be a float > 0 and < 1'],
    [() => new EtaLogitsWarper(1), '`eta_cutoff` has to be a float > 0 and < 1'],
    [() => new TopHLogitsWarper(0), '`top_h` must be in the range (0, 1]'],
    [() => new RepetitionPenaltyLogitsProcessor(0), '`penalty` has to be a strictly positive float, but is 0.0'],
    [() => new NoRepeatNGramLogitsProcessor(0), '`ngram_size` has to be a strictly positive integer'],
    [() => new NoBadWordsLogitsProcessor([]), '`bad_words_ids` has to be a non-empty list'],
    [() => new NoBadWordsLogitsProcessor([[1, -2]]), 'Each list in `bad_words_ids` has to be a list of positive integers'],
    [() => new SequenceBiasLogitsProcessor([[[], 1]]), 'Each element in `sequence_bias`'],
    [() => new MinLengthLogitsProcessor(-1, 2), '`min_length` has to be a non-negative integer'],
    [() => new ForcedEOSTokenLogitsProcessor(5, [-1]), '`eos_token_id` has to be a list of positive integers'],
    [() => new ExponentialDecayLengthPenalty([2, 1.5], undefined, 1), 'needs `eos_token_id`'],
  ];
  for (const [make, message] of cases) {
    it(message, () => {
      expect(make).toThrow(VedError);
      expect(make).toThrow(message);
    });
  }

  it('bad words that are only the eos token ban nothing, as in Python (an empty sequence_bias, no error)', () => {
    // Python 5.18: NoBadWordsLogitsProcessor([[15]], 15).sequence_bias == {} and the scores come back unchanged.
    const p = new NoBadWordsLogitsProcessor([[5]], 5);
    const scores = makeScores(2, 6, Float32Array.from({ length: 12 }, (_, i) => i - 3));
    expect(Array.from(p.process([[1], [2]], scores).data)).toEqual(Array.from(scores.data));
    expect(() => new SequenceBiasLogitsProcessor([])).toThrow('`sequence_bias` has to be a non-empty dictionary');
  });

  it('sequence bias rejects ids outside the vocabulary, naming them', () => {
    const p = new SequenceBiasLogitsProcessor([[[40], 1]]);
    expect(() => p.process([[1]], makeScores(1, 40))).toThrow('The model vocabulary size is 40, but the following tokens were being biased: [40]');
  });
});

describe('PrefixConstrainedLogitsProcessor', () => {
  it('keeps only the allowed ids, per image and beam', () => {
    const p = new PrefixConstrainedLogitsProcessor((batchId, ids) => (batchId === 0 ? [1, 2] : [ids.length]), 2);
    const scores = makeScores(4, 4, Float32Array.from({ length: 16 }, (_, i) => i / 10));
    const out = p.process([[0], [0], [0, 1], [0, 1]], scores);
    expect(Array.from(out.data)).toEqual([
      -Infinity, Math.fround(0.1), Math.fround(0.2), -Infinity,
      -Infinity, Math.fround(0.5), Math.fround(0.6), -Infinity,
      -Infinity, -Infinity, Math.fround(1.0), -Infinity,
      -Infinity, -Infinity, Math.fround(1.4), -Infinity,
    ]);
  });

  it('forces the allowed ids with score 0 when none of them is finite', () => {
    const p = new PrefixConstrainedLogitsProcessor(() => [3], 1);
    const out = p.process([[0]], makeScores(1, 4, Float32Array.from([0, 1, 2, -Infinity])));
    expect(Array.from(out.data)).toEqual([-Infinity, -Infinity, -Infinity, 0]);
  });

  it('rejects an empty allowed list', () => {
    const p = new PrefixConstrainedLogitsProcessor(() => [], 1);
    expect(() => p.process([[0]], makeScores(1, 4))).toThrow('returned an empty list for batch ID 0');
  });
});

describe('applyProcessors in place', () => {
  const eos = 2;
  const input = () => makeScores(2, 4, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  const chain = () => [new TemperatureLogitsWarper(2), new MinLengthLogitsProcessor(5, eos), new SuppressTokensLogitsProcessor([0])];
  const expected = [-Infinity, 1, -Infinity, 2, -Infinity, 3, -Infinity, 4];

  it('leaves a matrix it does not own as it was', () => {
    const scores = input();
    const out = applyProcessors(chain(), [[0], [0]], scores);
    expect(Array.from(out.data)).toEqual(expected);
    expect(Array.from(scores.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('writes into an owned matrix, and into copies built-in processors made', () => {
    const owned = input();
    expect(applyProcessors(chain(), [[0], [0]], owned, true)).toBe(owned);
    expect(Array.from(owned.data)).toEqual(expected);
    // A custom processor's result is never taken as owned: the next built-in copies it, the later ones write into that copy.
    const copying: LogitsProcessor = { process: (_ids, s) => makeScores(s.rows, s.vocab, s.data.slice()) };
    const kept = input();
    const out = applyProcessors([copying, ...chain()], [[0], [0]], kept, false);
    expect(Array.from(out.data)).toEqual(expected);
    expect(Array.from(kept.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
