/**
 * Continuous batching against Python and against lone `generate()` calls, on
 * real step graphs: every call recorded by tools/reference/make_generation_fixtures.py
 * (fixtures/generation) is replayed concurrently through one ContinuousBatcher,
 * arriving in waves while others decode, so rows of different lengths, options,
 * beams and seeds share each step. Greedy and beam ids (and beam scores) must be
 * Python's; sampling runs must equal the same seeded call alone. Every decoder
 * family (fixtures/decoders) then runs its Python greedy and beam cases joined
 * mid-flight by other requests, which checks the per-row positions of each
 * decoder's step graph. The calls on random option combinations (random-cases.json)
 * are replayed the same way. An ONNX export (transformers.js layout), whose graph
 * has no per-row positions, batches rows by length and gives the same ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VisionEncoderDecoderModel, type PixelBatch } from '@ved/core';
import { ContinuousBatcher, generate, modelGenerationConfig, type GenerateInputs, type GenerateOutput, type GenerationOptions, type StepInfo } from '@ved/generation';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { ImageToText } from '../pipeline.js';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';
import {
  GENERATION_MODEL_DIRS as MODEL_DIRS,
  caseCall,
  loadCaseModels,
  readGenerationCases,
  readRandomGenerationCases,
  readSafetensorsFile as readSafetensors,
  scoreMatches,
  type CaseModel,
  type GenerationCase as Case,
} from '../test-utils/generation-cases.js';

// max_time is wall-clock; errors are raised before any batching (tested in batcher.test.ts).
const cases = readGenerationCases().filter((c) => c.error === undefined && c.kwargs.max_time === undefined);

/** Submits `jobs` in waves: wave w once the batcher has run 2·w steps, so later waves join a running batch. */
async function inWaves<T>(steps: () => number, jobs: Array<() => Promise<T>>, waveSize: number): Promise<T[]> {
  const out: Array<Promise<T>> = [];
  for (let i = 0; i < jobs.length; i++) {
    const wave = Math.floor(i / waveSize);
    while (steps() < wave * 2 && out.length > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    out.push(jobs[i]!());
  }
  return Promise.all(out);
}

describe('continuous batching replays Python\'s generate() calls', () => {
  let models: Map<string, CaseModel>;

  beforeAll(async () => {
    models = await loadCaseModels();
  });
  afterAll(async () => {
    for (const m of models.values()) await m.model.dispose();
  });

  const call = (c: Case): { inputs: GenerateInputs; options: GenerationOptions } => caseCall(c, models.get(c.model)!);

  /** Every call of `mine` through one batcher of their model, in waves of 8; then the batcher is closed. */
  async function inOneBatch(mine: Case[]): Promise<{ outs: GenerateOutput[]; steps: StepInfo[] }> {
    const steps: StepInfo[] = [];
    const batcher = new ContinuousBatcher(models.get(mine[0]!.model)!.model, { maxBatch: 48, onStep: (s) => steps.push(s) });
    expect(batcher.mixedLengths).toBe(true);
    try {
      const jobs = mine.map((c) => () => {
        const { inputs, options } = call(c);
        return batcher.generate(inputs, options);
      });
      return { outs: await inWaves(() => steps.length, jobs, 8), steps };
    } finally {
      await batcher.close();
    }
  }

  for (const name of Object.keys(MODEL_DIRS)) {
    it(`every ${name} case, all in one continuous batch`, async () => {
      const mine = cases.filter((c) => c.model === name);
      const { model } = models.get(name)!;
      const { outs, steps } = await inOneBatch(mine);
      for (const [i, c] of mine.entries()) {
        const out = outs[i]!;
        const sampling = c.kwargs.do_sample === true && c.kwargs.top_k !== 1;
        if (sampling) {
          const { inputs, options } = call(c);
          expect(out.sequences, c.name).toEqual((await generate(model, inputs, options)).sequences);
          continue;
        }
        expect(out.sequences, c.name).toEqual(c.sequences);
        if (c.beam_indices) expect(out.beamIndices, c.name).toEqual(c.beam_indices);
        c.sequences_scores?.forEach((s, k) => expect(Math.abs(out.sequencesScores![k]! - s), `${c.name} score ${k}`).toBeLessThan(1e-4));
      }
      // The batch really mixed requests that joined at different steps.
      expect(Math.max(...steps.map((s) => s.requests))).toBeGreaterThanOrEqual(Math.min(5, mine.length));
      expect(steps.filter((s) => s.joined > 0 && s.joined < s.rows).length).toBeGreaterThanOrEqual(1);
    });
  }

  // The calls on random option combinations (make_random_generation_fixtures.py): what users mix, in one batch.
  const random = readRandomGenerationCases().filter((c) => c.error === undefined);
  for (const name of [...new Set(random.map((c) => c.model))]) {
    it(`every ${name} call on random options, all in one continuous batch`, async () => {
      const mine = random.filter((c) => c.model === name);
      const { outs, steps } = await inOneBatch(mine);
      for (const [i, c] of mine.entries()) {
        expect(outs[i]!.sequences, `${c.name} ${JSON.stringify(c.kwargs)}`).toEqual(c.sequences);
        c.sequences_scores?.forEach((s, k) => expect(scoreMatches(outs[i]!.sequencesScores![k]!, s), `${c.name} score ${k}`).toBe(true));
      }
      expect(Math.max(...steps.map((s) => s.requests))).toBeGreaterThanOrEqual(5);
    });
  }
});

const DECODERS = ['vit-bart', 'vit-bert', 'vit-mbart', 'vit-roberta', 'vit-trocr', 'vit-xlmr', 'deit-trocr', 'deit-bart'];

describe('continuous batching with every decoder family (per-row positions)', () => {
  for (const name of DECODERS) {
    it(`${name}: Python's greedy and beam ids while other requests join and leave`, async () => {
      const dir = fixturePath('decoders', name);
      const ref = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8')) as {
        images: string[];
        greedy: { max_new_tokens: number; sequences: number[][] };
        beam: { num_beams: number; max_new_tokens: number; sequences: number[][] };
      };
      const pipe = await ImageToText.fromPretrained(dir);
      try {
        const model = pipe.model as VisionEncoderDecoderModel;
        const pixelValues = await pipe.preprocess(ref.images.map((p) => join(REPO_ROOT, p)));
        const steps: StepInfo[] = [];
        const batcher = new ContinuousBatcher(model, { maxBatch: 32, onStep: (s) => steps.push(s) });
        expect(batcher.mixedLengths).toBe(true);
        const inputs = { pixelValues, modelGenerationConfig: pipe.generationConfig, onWarning: () => {} };
        const single = (i: number): PixelBatch => {
          const size = pixelValues.data.length / pixelValues.dims[0];
          return { data: pixelValues.data.slice(i * size, (i + 1) * size), dims: [1, ...pixelValues.dims.slice(1)] as PixelBatch['dims'] };
        };
        const extra: Array<{ inputs: GenerateInputs; options: GenerationOptions }> = [
          { inputs: { ...inputs, pixelValues: single(1) }, options: { maxNewTokens: 3 } },
          { inputs: { ...inputs, pixelValues: single(2) }, options: { maxNewTokens: 12, repetitionPenalty: 1.3 } },
          { inputs: { ...inputs, pixelValues: single(0) }, options: { maxNewTokens: 9, numBeams: 2 } },
        ];
        const [greedy, ...rest] = await inWaves(
          () => steps.length,
          [
            () => batcher.generate(inputs, { maxNewTokens: ref.greedy.max_new_tokens }),
            () => batcher.generate(extra[0]!.inputs, extra[0]!.options),
            () => batcher.generate(inputs, { numBeams: ref.beam.num_beams, maxNewTokens: ref.beam.max_new_tokens }),
            () => batcher.generate(extra[1]!.inputs, extra[1]!.options),
            () => batcher.generate(extra[2]!.inputs, extra[2]!.options),
          ],
          1,
        );
        expect(greedy!.sequences).toEqual(ref.greedy.sequences);
        expect(rest[1]!.sequences).toEqual(ref.beam.sequences);
        for (const [k, e] of [rest[0]!, rest[2]!, rest[3]!].entries()) {
          expect(e.sequences, `extra ${k}`).toEqual((await generate(model, extra[k]!.inputs, extra[k]!.options)).sequences);
        }
        expect(steps.some((s) => s.joined > 0 && s.joined < s.rows)).toBe(true);
        await batcher.close();
      } finally {
        await pipe.dispose();
      }
    });
  }
});

describe('continuous batching of an ONNX export (rows grouped by length)', () => {
  it('vit-gpt2-a exported: Python\'s greedy ids while other requests join', async () => {
    const dir = fixturePath('onnx', 'vit-gpt2-a');
    const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { max_new_tokens: number; greedy: number[][] };
    const pipe = await ImageToText.fromPretrained(dir, { format: 'onnx' });
    try {
      const source = readSafetensors(fixturePath('models', 'vit-gpt2-a', 'reference', 'reference.safetensors'));
      const pixelValues = { data: source.getFloat32('pixel_values'), dims: source.info('pixel_values').shape as PixelBatch['dims'] };
      const steps: StepInfo[] = [];
      const batcher = new ContinuousBatcher(pipe.model, { maxBatch: 32, onStep: (s) => steps.push(s) });
      expect(batcher.mixedLengths).toBe(false);
      const inputs = { pixelValues, modelGenerationConfig: pipe.generationConfig, onWarning: () => {} };
      const others: GenerationOptions[] = [{ maxNewTokens: 5 }, { maxNewTokens: 9, numBeams: 2 }, { maxNewTokens: 7, doSample: true, seed: 3 }];
      const [greedy, ...rest] = await inWaves(
        () => steps.length,
        [() => batcher.generate(inputs, { maxNewTokens: ref.max_new_tokens }), ...others.map((o) => () => batcher.generate(inputs, o))],
        1,
      );
      expect(greedy!.sequences).toEqual(ref.greedy);
      for (const [k, o] of others.entries()) expect(rest[k]!.sequences).toEqual((await generate(pipe.model, inputs, o)).sequences);
      expect(steps.some((s) => s.joined > 0 && s.joined < s.rows)).toBe(true);
      await batcher.close();
    } finally {
      await pipe.dispose();
    }
  });
});

// Not q8: its dynamic int8 matmul quantizes the activations with one scale per batch (ids depend on the other rows).
describe('continuous batching with fp16 and 4-bit weights', () => {
  for (const dtype of ['fp16', 'q4'] as const) {
    it(`${dtype}: every request gets the ids of generate() alone on the same weights`, async () => {
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(MODEL_DIRS['vit-gpt2-a']!), nodeRuntime, { dtype });
      try {
        const source = readSafetensors(join(MODEL_DIRS['vit-gpt2-a']!, 'reference', 'reference.safetensors'));
        const pixelValues = { data: source.getFloat32('pixel_values'), dims: source.info('pixel_values').shape as PixelBatch['dims'] };
        const inputs = { pixelValues, modelGenerationConfig: modelGenerationConfig(model.config.raw, model.generationConfigJson), onWarning: () => {} };
        const steps: StepInfo[] = [];
        const batcher = new ContinuousBatcher(model, { maxBatch: 32, onStep: (s) => steps.push(s) });
        const calls: GenerationOptions[] = [{ maxNewTokens: 12 }, { maxNewTokens: 6, numBeams: 3 }, { maxNewTokens: 9, repetitionPenalty: 1.3 }, { maxNewTokens: 8, doSample: true, seed: 5 }];
        const outs = await inWaves(() => steps.length, calls.map((o) => () => batcher.generate(inputs, o)), 1);
        for (const [k, o] of calls.entries()) expect(outs[k]!.sequences, JSON.stringify(o)).toEqual((await generate(model, inputs, o)).sequences);
        await batcher.close();
      } finally {
        await model.dispose();
      }
    });
  }
});
