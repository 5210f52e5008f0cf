/**
 * generate() against Python on 400 randomly drawn option combinations
 * (tools/reference/make_random_generation_fixtures.py → fixtures/generation/random-cases.json):
 * identical ids, beam scores within float32 rounding, and a `VedError` carrying Python's message
 * where Python refuses the call; then 30 calls on each decoder family of fixtures/decoders
 * (random-decoder-cases.json), whose generation configs differ (BART's forced eos, BERT's ids).
 * The recorded cases of generation.golden.test.ts test each option on purpose; these test what
 * users combine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VedError } from '@ved/core';
import { generate } from '@ved/generation';
import { caseCall, loadCaseModels, loadDecoderCaseModels, readRandomGenerationCases, scoreMatches, type CaseModel, type GenerationCase } from '../test-utils/generation-cases.js';

const cases = readRandomGenerationCases();
const decoderCases = readRandomGenerationCases('random-decoder-cases.json');

/** Runs `c` on its model: Python's ids and scores, or a VedError with Python's message. */
async function check(c: GenerationCase, m: CaseModel): Promise<void> {
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
}

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
    it(`${c.name} (${c.model}) ${JSON.stringify(c.kwargs)}`, () => check(c, loaded.get(c.model)!));
  }
});

describe('generate() against Python on random option combinations, every decoder family', () => {
  let loaded: Map<string, CaseModel>;
  beforeAll(async () => {
    loaded = await loadDecoderCaseModels(new Set(decoderCases.map((c) => c.model)));
  });
  afterAll(async () => {
    for (const l of loaded.values()) await l.model.dispose();
  });

  it('has 30 calls for each of the 7 families', () => {
    expect(decoderCases).toHaveLength(210);
    expect(new Set(decoderCases.map((c) => c.model)).size).toBe(7);
  });

  for (const c of decoderCases) {
    it(`${c.name} ${JSON.stringify(c.kwargs)}`, () => check(c, loaded.get(c.model)!));
  }
});
