/**
 * generate() against Python on 400 randomly drawn option combinations
 * (tools/reference/make_random_generation_fixtures.py → fixtures/generation/random-cases.json):
 * identical ids, beam scores within float32 rounding, and a `VedError` carrying Python's message
 * where Python refuses the call. The recorded cases of generation.golden.test.ts test each option on
 * purpose; these test what users combine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VedError } from '@ved/core';
import { generate } from '@ved/generation';
import { caseCall, loadCaseModels, readRandomGenerationCases, scoreMatches, type CaseModel } from '../test-utils/generation-cases.js';

const cases = readRandomGenerationCases();

describe('generate() against Python on random option combinations', () => {
  let loaded: Map<string, CaseModel>;
  beforeAll(async () => {
    loaded = await loadCaseModels();
  });
  afterAll(async () => {
    for (const l of loaded.values()) await l.model.dispose();
  });

  it('has the 400 recorded calls', () => {
    expect(cases).toHaveLength(400);
  });

  for (const c of cases) {
    it(`${c.name} (${c.model}) ${JSON.stringify(c.kwargs)}`, async () => {
      const m = loaded.get(c.model)!;
      const { inputs, options } = caseCall(c, m);
      const run = generate(m.model, inputs, options);
      if (c.error) {
        const err = await run.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `Python raised ${c.error.type}: ${c.error.message}`).toBeInstanceOf(VedError);
        expect((err as VedError).message).toContain(c.error.message.split(/\.(\s|$)/)[0]!);
        return;
      }
      const out = await run;
      expect(out.sequences).toEqual(c.sequences);
      c.sequences_scores?.forEach((expected, i) => {
        const got = out.sequencesScores![i]!;
        expect(scoreMatches(got, expected), `sequences_scores[${i}]: ved ${got}, Python ${expected}`).toBe(true);
      });
    });
  }
});
