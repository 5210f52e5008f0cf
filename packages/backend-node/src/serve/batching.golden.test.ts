/**
 * Continuous batching against Python and against lone `generate()` calls, on
 * real step graphs: every call recorded by tools/reference/make_generation_fixtures.py
 * (fixtures/generation) is replayed concurrently through one ContinuousBatcher,
 * arriving in waves while others decode, so rows of different lengths, options,
 * beams and seeds share each step. Greedy and beam ids (and beam scores) must be
 * Python's; sampling runs must equal the same seeded call alone. Every decoder
 * family (fixtures/decoders) then runs its Python greedy and beam cases joined
 * mid-flight by other requests, which checks the per-row positions of each
 * decoder's step graph. An ONNX export (transformers.js layout), whose graph
 * has no per-row positions, batches rows by length and gives the same ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, VisionEncoderDecoderModel, parseSafetensors, type PixelBatch, type SafetensorsFile } from '@ved/core';
import {
  ContinuousBatcher,
  EosTokenCriteria,
  MaxLengthCriteria,
  NoRepeatNGramLogitsProcessor,
  RepetitionPenaltyLogitsProcessor,
  SuppressTokensLogitsProcessor,
  generate,
  generationOptionsFromJson,
  modelGenerationConfig,
  type GenerateInputs,
  type GenerationOptions,
  type LogitsProcessor,
  type StepInfo,
  type StoppingCriteria,
} from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { ImageToText } from '../pipeline.js';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';

interface Case {
  name: string;
  model: string;
  kwargs: Record<string, unknown>;
  model_config?: Record<string, unknown>;
  custom_processors?: Array<[string, Record<string, unknown>]>;
  custom_criteria?: Array<[string, Record<string, unknown>]>;
  sequences?: number[][];
  sequences_scores?: number[];
  beam_indices?: number[][];
  error?: unknown;
}

const DIR = fixturePath('generation');
const cases = (JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: Case[] }).cases.filter(
  // max_time is wall-clock; errors are raised before any batching (tested in batcher.test.ts).
  (c) => c.error === undefined && c.kwargs.max_time === undefined,
);
const readSafetensors = (path: string): SafetensorsFile => {
  const bytes = readFileSync(path);
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
};
const MODEL_DIRS: Record<string, string> = {
  v16: join(DIR, 'model-v16'),
  'vit-gpt2-a': fixturePath('models', 'vit-gpt2-a'),
  'vit-gpt2-b': fixturePath('models', 'vit-gpt2-b'),
};

function customProcessor([cls, a]: [string, Record<string, unknown>]): LogitsProcessor {
  if (cls === 'RepetitionPenalty') return new RepetitionPenaltyLogitsProcessor(a.penalty as number);
  if (cls === 'NoRepeatNGram') return new NoRepeatNGramLogitsProcessor(a.ngram_size as number);
  if (cls === 'SuppressTokens') return new SuppressTokensLogitsProcessor(a.suppress_tokens as number[]);
  throw new Error(`no custom processor ${cls}`);
}

function customCriteria([cls, a]: [string, Record<string, unknown>]): StoppingCriteria {
  if (cls === 'MaxLength') return new MaxLengthCriteria(a.max_length as number);
  if (cls === 'EosToken') return new EosTokenCriteria(a.eos_token_id as number);
  throw new Error(`no custom criteria ${cls}`);
}

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
  const models = new Map<string, { model: VisionEncoderDecoderModel; pixelValues: PixelBatch; config: GenerationOptions; tokenizer: Tokenizer | undefined }>();

  beforeAll(async () => {
    const v16Inputs = readSafetensors(join(DIR, 'inputs.safetensors'));
    for (const [name, dir] of Object.entries(MODEL_DIRS)) {
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      const tensors = name === 'v16' ? v16Inputs : readSafetensors(join(dir, 'reference', 'reference.safetensors'));
      const pixelValues = { data: tensors.getFloat32('pixel_values'), dims: tensors.info('pixel_values').shape as PixelBatch['dims'] };
      models.set(name, { model, pixelValues, config: modelGenerationConfig(model.config.raw, model.generationConfigJson), tokenizer: await Tokenizer.fromFiles(new DirectoryFiles(dir)) });
    }
  });
  afterAll(async () => {
    for (const m of models.values()) await m.model.dispose();
  });

  function call(c: Case): { inputs: GenerateInputs; options: GenerationOptions } {
    const m = models.get(c.model)!;
    const { decoder_input_ids: prompt, ...kwargs } = c.kwargs;
    const options = generationOptionsFromJson(kwargs, c.name, 'call');
    return {
      inputs: {
        pixelValues: m.pixelValues,
        modelGenerationConfig: { ...m.config, ...(c.model_config ? generationOptionsFromJson(c.model_config, c.name) : {}) },
        ...(prompt ? { decoderInputIds: prompt as number[][] } : {}),
        ...(m.tokenizer ? { tokenizer: m.tokenizer } : {}),
        ...(c.custom_processors ? { logitsProcessor: c.custom_processors.map(customProcessor) } : {}),
        ...(c.custom_criteria ? { stoppingCriteria: c.custom_criteria.map(customCriteria) } : {}),
        onWarning: () => {},
      },
      options: { ...options, ...(options.doSample ? { seed: 1234 } : {}) },
    };
  }

  for (const name of Object.keys(MODEL_DIRS)) {
    it(`every ${name} case, all in one continuous batch`, async () => {
      const mine = cases.filter((c) => c.model === name);
      const { model } = models.get(name)!;
      const steps: StepInfo[] = [];
      const batcher = new ContinuousBatcher(model, { maxBatch: 48, onStep: (s) => steps.push(s) });
      expect(batcher.mixedLengths).toBe(true);
      const outs = await inWaves(
        () => steps.length,
        mine.map((c) => () => {
          const { inputs, options } = call(c);
          return batcher.generate(inputs, options);
        }),
        8,
      );
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
      await batcher.close();
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
