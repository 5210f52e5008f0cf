/**
 * An ONNX export (transformers.js / Optimum layout, fixtures/onnx/vit-gpt2-a: torch.onnx.export of
 * fixtures/models/vit-gpt2-a) runs the calls on random option combinations of that model
 * (tools/reference/make_random_generation_fixtures.py) with Python's ids and beam scores, and refuses
 * what Python refuses: the export's decoding session (cache fed back, no per-row positions) under
 * every option users combine.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxExportModel, VedError } from '@ved/core';
import { generate } from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { ONNX_FIXTURES } from './onnx-fixtures.js';
import { caseCall, loadCaseModels, readRandomGenerationCases, scoreMatches, type CaseModel } from '../test-utils/generation-cases.js';

const cases = readRandomGenerationCases().filter((c) => c.model === 'vit-gpt2-a');
describe('an ONNX export on random option combinations', () => {
  let models: Map<string, CaseModel>;
  let exported: OnnxExportModel;
  beforeAll(async () => {
    models = await loadCaseModels();
    exported = await OnnxExportModel.fromPretrained(new DirectoryFiles(join(ONNX_FIXTURES, 'vit-gpt2-a')), nodeRuntime);
  });
  afterAll(async () => {
    for (const m of models.values()) await m.model.dispose();
    await exported.dispose();
  });

  it('has the calls', () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  for (const c of cases) {
    it(`${c.name} ${JSON.stringify(c.kwargs)}`, async () => {
      const { inputs, options } = caseCall(c, models.get('vit-gpt2-a')!);
      const run = generate(exported, inputs, options);
      if (c.error) {
        await expect(run).rejects.toBeInstanceOf(VedError);
        return;
      }
      const out = await run;
      expect(out.sequences).toEqual(c.sequences);
      c.sequences_scores?.forEach((s, k) => expect(scoreMatches(out.sequencesScores![k]!, s), `score ${k}: ${out.sequencesScores![k]} vs ${s}`).toBe(true));
    });
  }
});
