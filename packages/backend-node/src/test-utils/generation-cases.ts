/**
 * The recorded `generate()` calls of tools/reference/make_generation_fixtures.py
 * (fixtures/generation/cases.json), their models, and each call as ved's
 * inputs and options: shared by the golden test of generate() and the
 * continuous-batching test that replays the same calls concurrently.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, VisionEncoderDecoderModel, parseSafetensors, type PixelBatch, type SafetensorsFile } from '@ved/core';
import {
  EosTokenCriteria,
  MaxLengthCriteria,
  NoRepeatNGramLogitsProcessor,
  RepetitionPenaltyLogitsProcessor,
  SuppressTokensLogitsProcessor,
  generationOptionsFromJson,
  modelGenerationConfig,
  type GenerateInputs,
  type GenerationOptions,
  type LogitsProcessor,
  type StoppingCriteria,
} from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { fixturePath } from './fixtures.js';

/** One recorded call: Python's kwargs and what it returned (or raised). */
export interface GenerationCase {
  name: string;
  model: string;
  kwargs: Record<string, unknown>;
  model_config?: Record<string, unknown>;
  custom_processors?: Array<[string, Record<string, unknown>]>;
  custom_criteria?: Array<[string, Record<string, unknown>]>;
  sequences?: number[][];
  sequences_scores?: number[];
  beam_indices?: number[][];
  /** Name of the tensor of processed scores in scores.safetensors. */
  scores?: string;
  error?: { type: string; message: string };
}

export const GENERATION_DIR = fixturePath('generation');

export const GENERATION_MODEL_DIRS: Readonly<Record<string, string>> = {
  v16: join(GENERATION_DIR, 'model-v16'),
  'vit-gpt2-a': fixturePath('models', 'vit-gpt2-a'),
  'vit-gpt2-b': fixturePath('models', 'vit-gpt2-b'),
};

export function readGenerationCases(): GenerationCase[] {
  return (JSON.parse(readFileSync(join(GENERATION_DIR, 'cases.json'), 'utf8')) as { cases: GenerationCase[] }).cases;
}

/**
 * The calls on randomly drawn option combinations (tools/reference/make_random_generation_fixtures.py),
 * their non-finite beam scores ("NaN", "-Infinity" in the JSON) as numbers.
 */
export function readRandomGenerationCases(file = 'random-cases.json'): GenerationCase[] {
  const json = JSON.parse(readFileSync(join(GENERATION_DIR, file), 'utf8')) as { cases: Array<Omit<GenerationCase, 'sequences_scores'> & { sequences_scores?: (number | string)[] }> };
  return json.cases.map(({ sequences_scores: scores, ...c }) => ({ ...c, ...(scores ? { sequences_scores: scores.map(Number) } : {}) }));
}

/** A beam score within float32 rounding of Python's (scores with length penalties reach the thousands); NaN and infinities equal. */
export function scoreMatches(got: number, expected: number): boolean {
  if (!Number.isFinite(expected)) return Object.is(got, expected);
  return Math.abs(got - expected) < 1e-4 + 2e-6 * Math.abs(expected);
}

export function readSafetensorsFile(path: string): SafetensorsFile {
  const bytes = readFileSync(path);
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** A case's model with the images Python generated from and its generation config. */
export interface CaseModel {
  model: VisionEncoderDecoderModel;
  pixelValues: PixelBatch;
  generationConfig: GenerationOptions;
  tokenizer: Tokenizer | undefined;
}

/** Loads every model the cases use; dispose them with `model.dispose()`. */
export async function loadCaseModels(): Promise<Map<string, CaseModel>> {
  const models = new Map<string, CaseModel>();
  const v16Inputs = readSafetensorsFile(join(GENERATION_DIR, 'inputs.safetensors'));
  for (const [name, dir] of Object.entries(GENERATION_MODEL_DIRS)) {
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    const tensors = name === 'v16' ? v16Inputs : readSafetensorsFile(join(dir, 'reference', 'reference.safetensors'));
    const pixelValues = { data: tensors.getFloat32('pixel_values'), dims: tensors.info('pixel_values').shape as PixelBatch['dims'] };
    const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson);
    models.set(name, { model, pixelValues, generationConfig, tokenizer: await Tokenizer.fromFiles(new DirectoryFiles(dir)) });
  }
  return models;
}

/** The decoder-family fixtures (fixtures/decoders/<name>) with their reference images, for random-decoder-cases.json. */
export async function loadDecoderCaseModels(names: Iterable<string>): Promise<Map<string, CaseModel>> {
  const models = new Map<string, CaseModel>();
  for (const name of names) {
    const dir = fixturePath('decoders', name);
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    const tensors = readSafetensorsFile(join(dir, 'reference', 'reference.safetensors'));
    const pixelValues = { data: tensors.getFloat32('pixel_values'), dims: tensors.info('pixel_values').shape as PixelBatch['dims'] };
    const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson);
    models.set(name, { model, pixelValues, generationConfig, tokenizer: await Tokenizer.fromFiles(new DirectoryFiles(dir)) });
  }
  return models;
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

/** The call as ved's `generate()` arguments; sampling calls get seed 1234 (Python's draws are not replayable). */
export function caseCall(c: GenerationCase, m: CaseModel): { inputs: GenerateInputs; options: GenerationOptions } {
  const { decoder_input_ids: prompt, ...kwargs } = c.kwargs;
  const options = generationOptionsFromJson(kwargs, c.name, 'call');
  return {
    inputs: {
      pixelValues: m.pixelValues,
      modelGenerationConfig: { ...m.generationConfig, ...(c.model_config ? generationOptionsFromJson(c.model_config, c.name) : {}) },
      ...(prompt ? { decoderInputIds: prompt as number[][] } : {}),
      ...(m.tokenizer ? { tokenizer: m.tokenizer } : {}),
      ...(c.custom_processors ? { logitsProcessor: c.custom_processors.map(customProcessor) } : {}),
      ...(c.custom_criteria ? { stoppingCriteria: c.custom_criteria.map(customCriteria) } : {}),
      onWarning: () => {},
    },
    options: { ...options, ...(options.doSample ? { seed: 1234 } : {}) },
  };
}
