/**
 * Golden tests of generate() against transformers 5.18 (fixtures made by
 * tools/reference/make_generation_fixtures.py): every recorded call is
 * replayed from its snake_case kwargs. Greedy / beam ids and beam indices
 * must be identical, sequences_scores and processed scores within 1e-4,
 * Python's errors raised; for sampling, the first step's processed scores
 * (the only deterministic part) within 1e-4, and top_k=1 equal to greedy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, VedError, VisionEncoderDecoderModel, parseSafetensors, type PixelBatch, type SafetensorsFile } from '@ved/core';
import {
  EosTokenCriteria,
  MaxLengthCriteria,
  NoRepeatNGramLogitsProcessor,
  RepetitionPenaltyLogitsProcessor,
  SuppressTokensLogitsProcessor,
  generate,
  generationOptionsFromJson,
  modelGenerationConfig,
  type GenerationOptions,
  type LogitsProcessor,
  type Scores,
  type StoppingCriteria,
} from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { fixturePath } from '../test-utils/fixtures.js';

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
  scores?: string;
  error?: { type: string; message: string };
}

const DIR = fixturePath('generation');
const fixture = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: Case[] };
const readSafetensors = (path: string): SafetensorsFile => {
  const bytes = readFileSync(path);
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
};
const MODEL_DIRS: Record<string, string> = {
  v16: join(DIR, 'model-v16'),
  'vit-gpt2-a': fixturePath('models', 'vit-gpt2-a'),
  'vit-gpt2-b': fixturePath('models', 'vit-gpt2-b'),
};

interface Loaded {
  model: VisionEncoderDecoderModel;
  pixelValues: PixelBatch;
  generationConfig: GenerationOptions;
  tokenizer: Tokenizer | undefined;
}

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
  const loaded = new Map<string, Loaded>();
  let scores: SafetensorsFile;

  beforeAll(async () => {
    scores = readSafetensors(join(DIR, 'scores.safetensors'));
    const v16Inputs = readSafetensors(join(DIR, 'inputs.safetensors'));
    for (const [name, dir] of Object.entries(MODEL_DIRS)) {
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      const tensors = name === 'v16' ? v16Inputs : readSafetensors(join(dir, 'reference', 'reference.safetensors'));
      const pixelValues = { data: tensors.getFloat32('pixel_values'), dims: tensors.info('pixel_values').shape as PixelBatch['dims'] };
      const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson);
      loaded.set(name, { model, pixelValues, generationConfig, tokenizer: await Tokenizer.fromFiles(new DirectoryFiles(dir)) });
    }
  });
  afterAll(async () => {
    for (const l of loaded.values()) await l.model.dispose();
    console.log(`generation golden: max |sequences_scores - Python| = ${maxDiffs.sequencesScores.toExponential(2)}, max |scores - Python| = ${maxDiffs.scores.toExponential(2)}`);
  });

  function run(c: Case) {
    const l = loaded.get(c.model)!;
    const { decoder_input_ids: prompt, ...kwargs } = c.kwargs;
    const options = generationOptionsFromJson(kwargs, c.name, 'call');
    const modelConfig = { ...l.generationConfig, ...(c.model_config ? generationOptionsFromJson(c.model_config, c.name) : {}) };
    return generate(
      l.model,
      {
        pixelValues: l.pixelValues,
        modelGenerationConfig: modelConfig,
        ...(prompt ? { decoderInputIds: prompt as number[][] } : {}),
        ...(l.tokenizer ? { tokenizer: l.tokenizer } : {}),
        ...(c.custom_processors ? { logitsProcessor: c.custom_processors.map(customProcessor) } : {}),
        ...(c.custom_criteria ? { stoppingCriteria: c.custom_criteria.map(customCriteria) } : {}),
        onWarning: () => {},
      },
      { ...options, ...(options.doSample ? { seed: 1234 } : {}) },
    );
  }

  for (const c of fixture.cases) {
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
