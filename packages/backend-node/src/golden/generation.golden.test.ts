/**
 * Golden tests of generate() against transformers 5.18 (fixtures made by
 * tools/reference/make_generation_fixtures.py): every recorded call is
 * replayed from its snake_case kwargs. Greedy / beam ids and beam indices
 * must be identical, sequences_scores and processed scores within 1e-4,
 * Python's errors raised; for sampling, the first step's processed scores
 * (the only deterministic part) within 1e-4, and top_k=1 equal to greedy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { VedError, type SafetensorsFile } from '@ved/core';
import { generate, type Scores } from '@ved/generation';
import {
  GENERATION_DIR,
  caseCall,
  loadCaseModels,
  readGenerationCases,
  readSafetensorsFile,
  type CaseModel,
  type GenerationCase,
} from '../test-utils/generation-cases.js';

function expectScoresClose(actual: Scores, expected: Float32Array, where: string): void {
  expect(actual.data.length, where).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual.data[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      expect(a, `${where} [${i}]`).toBe(e);
      continue;
    }
    worst = Math.max(worst, Math.abs(a - e));
  }
  expect(worst, where).toBeLessThan(1e-4);
}

const maxDiffs = { sequencesScores: 0, scores: 0 };

describe('generate() against Python', () => {
  let loaded: Map<string, CaseModel>;
  let scores: SafetensorsFile;

  beforeAll(async () => {
    scores = readSafetensorsFile(join(GENERATION_DIR, 'scores.safetensors'));
    loaded = await loadCaseModels();
  });
  afterAll(async () => {
    for (const l of loaded.values()) await l.model.dispose();
    console.log(`generation golden: max |sequences_scores - Python| = ${maxDiffs.sequencesScores.toExponential(2)}, max |scores - Python| = ${maxDiffs.scores.toExponential(2)}`);
  });

  function run(c: GenerationCase) {
    const { inputs, options } = caseCall(c, loaded.get(c.model)!);
    return generate(loaded.get(c.model)!.model, inputs, options);
  }

  for (const c of readGenerationCases()) {
    const sampling = c.kwargs.do_sample === true && c.kwargs.top_k !== 1;
    it(`${c.name} (${c.model})`, async () => {
      if (c.error) {
        const err = await run(c).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `Python raised ${c.error.type}: ${c.error.message}`).toBeInstanceOf(VedError);
        // Python's message, up to its first period (ved may add a hint after it).
        const head = c.error.message.split(/\.(\s|$)/)[0]!;
        expect((err as VedError).message).toContain(head);
        return;
      }
      const out = await run(c);
      if (!sampling) expect(out.sequences).toEqual(c.sequences);
      if (c.beam_indices) expect(out.beamIndices).toEqual(c.beam_indices);
      if (c.sequences_scores) {
        expect(out.sequencesScores).toHaveLength(c.sequences_scores.length);
        c.sequences_scores.forEach((s, i) => {
          const d = Math.abs(out.sequencesScores![i]! - s);
          maxDiffs.sequencesScores = Math.max(maxDiffs.sequencesScores, d);
          expect(d, `sequences_scores[${i}]`).toBeLessThan(1e-4);
        });
      }
      if (c.scores) {
        const info = scores.info(c.scores);
        const [steps, rows, vocab] = info.shape as [number, number, number];
        const all = scores.getFloat32(c.scores);
        expect(out.scores!.length).toBeGreaterThanOrEqual(steps);
        if (!sampling) expect(out.scores).toHaveLength(steps);
        for (let s = 0; s < steps; s++) {
          const expected = all.subarray(s * rows * vocab, (s + 1) * rows * vocab);
          expect([out.scores![s]!.rows, out.scores![s]!.vocab]).toEqual([rows, vocab]);
          expectScoresClose(out.scores![s]!, expected, `scores step ${s}`);
          for (let i = 0; i < expected.length; i++) {
            if (Number.isFinite(expected[i]!)) maxDiffs.scores = Math.max(maxDiffs.scores, Math.abs(out.scores![s]!.data[i]! - expected[i]!));
          }
        }
      }
    });
  }
});
