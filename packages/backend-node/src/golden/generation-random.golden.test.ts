/**
 * generate() against Python on 400 randomly drawn option combinations
 * (tools/reference/make_random_generation_fixtures.py → fixtures/generation/random-cases.json):
 * identical ids, beam scores within float32 rounding, and a `VedError` carrying Python's message
 * where Python refuses the call. The recorded cases of generation.golden.test.ts test each option on
 * purpose; these test what users combine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VedError } from '@ved/core';
import { generate } from '@ved/generation';
import { GENERATION_DIR, caseCall, loadCaseModels, type CaseModel, type GenerationCase } from '../test-utils/generation-cases.js';

interface RandomCase extends Omit<GenerationCase, 'sequences_scores'> {
  /** Numbers, or "NaN" / "Infinity" / "-Infinity" (a beam whose every continuation was banned). */
  sequences_scores?: (number | string)[];
}

const cases = (JSON.parse(readFileSync(join(GENERATION_DIR, 'random-cases.json'), 'utf8')) as { cases: RandomCase[] }).cases;

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
      const { inputs, options } = caseCall(c as GenerationCase, m);
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
        if (typeof expected === 'string') expect(String(got), `sequences_scores[${i}]`).toBe(expected);
        // Scores with length penalties reach the thousands: float32 rounding, relative.
        else expect(Math.abs(got - expected), `sequences_scores[${i}]: ved ${got}, Python ${expected}`).toBeLessThan(1e-4 + 2e-6 * Math.abs(expected));
      });
    });
  }
});
