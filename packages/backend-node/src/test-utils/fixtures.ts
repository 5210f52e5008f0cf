/** Helpers for tests that compare against the Python reference fixtures (tools/reference). */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  SeededRandom,
  Tokenizer,
  VisionEncoderDecoderModel,
  loadWeights,
  parseSafetensors,
  type PixelBatch,
  type SafetensorsFile,
  type TensorSource,
  type WeightSpec,
} from '@ved/core';
import { generate, modelGenerationConfig, type GenerationOptions } from '@ved/generation';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const fixturePath = (...parts: string[]) => join(REPO_ROOT, 'fixtures', ...parts);

export interface ModelReference {
  dir: string;
  json: {
    images: string[];
    decoder_input_ids: number[][];
    greedy: { max_new_tokens: number; sequences: number[][] };
    greedy_text: string[];
    [key: string]: unknown;
  };
  tensors: SafetensorsFile;
}

export function loadModelReference(name: string): ModelReference {
  const dir = fixturePath('models', name);
  const json = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8'));
  const bytes = readFileSync(join(dir, 'reference', 'reference.safetensors'));
  const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
  return { dir, json, tensors };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** A checkpoint under fixtures/encoders (tools/reference/make_encoder_fixtures.py) with its expected outputs. */
export interface EncoderReference {
  dir: string;
  json: {
    encoder_model_type: string;
    images: string[];
    greedy: { max_new_tokens: number; sequences: number[][] };
    greedy_text: string[];
    beam: { num_beams: number; max_new_tokens: number; sequences: number[][] };
    beam_text: string[];
    interpolate_pos_encoding: Array<{ height: number; width: number; pixel_values: string; last_hidden_state: string; shape: number[] }>;
    [key: string]: unknown;
  };
  tensors: SafetensorsFile;
  /** Every tensor under `encoder.` in a freshly initialised Python model, by name relative to the encoder. */
  weights: Record<string, PythonInitEntry>;
}

/** How a weight looked right after Python's `_init_weights` (see make_encoder_fixtures.py `classify_init`). */
export interface PythonInitEntry {
  shape: number[];
  /** Absent for float32. */
  dtype?: string;
  kind: 'zeros' | 'ones' | 'constant' | 'random';
  value?: number;
  std?: number;
}

export function loadEncoderReference(name: string): EncoderReference {
  const dir = fixturePath('encoders', name);
  const json = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8'));
  const weights = JSON.parse(readFileSync(join(dir, 'reference', 'encoder_weights.json'), 'utf8'));
  const bytes = readFileSync(join(dir, 'reference', 'reference.safetensors'));
  const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
  return { dir, json, tensors, weights };
}

/**
 * Compares an encoder plugin's weight list with the weights of a freshly
 * initialised Python encoder: the same float tensors (names and shapes), and
 * init rules that explain what Python drew (zeros, ones, constants; for random
 * tensors of 64+ values a std within 35%). Non-float buffers (DonutSwin's
 * `relative_position_index`) are not weights. Returns the problems found.
 */
export function compareWeightSpecs(
  specs: ReadonlyArray<{ name: string; shape: readonly number[]; init: { kind: string; std?: number; value?: number } }>,
  python: Record<string, PythonInitEntry>,
): string[] {
  const problems: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  if (byName.size !== specs.length) problems.push('duplicate names in weights()');
  for (const [name, py] of Object.entries(python)) {
    if (py.dtype !== undefined) continue;
    const spec = byName.get(name);
    if (spec === undefined) {
      problems.push(`missing ${name} [${py.shape.join(', ')}]`);
      continue;
    }
    byName.delete(name);
    if (spec.shape.join(',') !== py.shape.join(',')) problems.push(`${name}: shape [${spec.shape.join(', ')}], Python [${py.shape.join(', ')}]`);
    const { kind, std, value } = spec.init;
    const count = py.shape.reduce((a, b) => a * b, 1);
    if (py.kind === 'random') {
      if (kind !== 'normal' && kind !== 'truncNormal') problems.push(`${name}: init ${kind}, Python draws random values`);
      else if (count >= 64 && Math.abs(std! - py.std!) > 0.35 * std!) problems.push(`${name}: std ${std}, Python measured ${py.std}`);
    } else if (py.kind === 'constant') {
      if (kind !== 'constant' || Math.abs(value! - py.value!) > 1e-6) problems.push(`${name}: init ${kind} ${value}, Python constant ${py.value}`);
    } else if (kind !== py.kind && !(kind === 'constant' && value === (py.kind === 'ones' ? 1 : 0))) {
      problems.push(`${name}: init ${kind}, Python ${py.kind}`);
    }
  }
  for (const name of byName.keys()) problems.push(`extra ${name} (not in the Python checkpoint)`);
  return problems;
}

/** A checkpoint under fixtures/decoders (tools/reference/make_decoder_fixtures.py) with its expected outputs. */
export interface DecoderReference {
  name: string;
  dir: string;
  json: {
    images: string[];
    encoder_model_type: string;
    decoder_model_type: string;
    has_enc_to_dec_proj: boolean;
    generation_config_file: boolean;
    decoder_input_ids: number[][];
    /** Padded decoder inputs (row 1 right-padded, row 2 with a pad inside), when recorded. */
    masked: { decoder_input_ids: number[][]; decoder_attention_mask: number[][] } | null;
    greedy: { max_new_tokens: number; sequences: number[][] };
    greedy_text: string[];
    beam: { num_beams: number; max_new_tokens: number; sequences: number[][] };
    beam_text: string[];
    decoder_start_token_id: number;
    eos_token_id: number;
    pad_token_id: number;
    forced_eos_token_id: number | null;
    [key: string]: unknown;
  };
  tensors: SafetensorsFile;
}

export function loadDecoderReference(name: string): DecoderReference {
  const dir = fixturePath('decoders', name);
  const json = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8'));
  const bytes = readFileSync(join(dir, 'reference', 'reference.safetensors'));
  const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
  return { name, dir, json, tensors };
}

function sampleStd(data: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i]!;
  mean /= data.length;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i]! - mean) ** 2;
  return Math.sqrt(v / Math.max(data.length - 1, 1));
}

function zeroRows(data: Float32Array, width: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r * width < data.length; r++) if (data.subarray(r * width, (r + 1) * width).every((x) => x === 0)) rows.push(r);
  return rows;
}

/**
 * Checks a decoder plugin's weight list against a checkpoint that Python
 * saved right after `_init_weights` (the fixtures are untrained): the same
 * tensors under `decoder.` (names and shapes), and init rules that explain the
 * values (zeros, ones; normal with the measured std within 35%; custom fills
 * with the same all-zero rows, e.g. embedding padding rows). Returns the problems.
 */
export function compareDecoderWeights(specs: readonly WeightSpec[], checkpoint: TensorSource, prefix = 'decoder.'): string[] {
  const problems: string[] = [];
  const saved = new Set(checkpoint.names().filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
  for (const spec of specs) {
    if (!saved.delete(spec.name)) {
      problems.push(`extra ${spec.name} (not in the Python checkpoint)`);
      continue;
    }
    const full = prefix + spec.name;
    const shape = checkpoint.info(full).shape;
    if (shape.join(',') !== spec.shape.join(',')) {
      problems.push(`${spec.name}: shape [${spec.shape.join(', ')}], Python [${shape.join(', ')}]`);
      continue;
    }
    const data = checkpoint.getFloat32(full);
    const width = spec.shape[spec.shape.length - 1] ?? 1;
    const init = spec.init;
    if (init.kind === 'zeros' || init.kind === 'ones' || init.kind === 'constant') {
      const value = init.kind === 'zeros' ? 0 : init.kind === 'ones' ? 1 : init.value;
      if (!data.every((x) => x === value)) problems.push(`${spec.name}: init ${init.kind}, Python has other values`);
    } else if (init.kind === 'normal' || init.kind === 'truncNormal') {
      if (data.length >= 64 && Math.abs(sampleStd(data) - init.std) > 0.35 * init.std) {
        problems.push(`${spec.name}: std ${init.std}, Python measured ${sampleStd(data).toFixed(4)}`);
      }
      if (zeroRows(data, width).length > 0) problems.push(`${spec.name}: Python zeroed rows ${zeroRows(data, width).join(', ')}`);
    } else {
      const ours = new Float32Array(data.length);
      init.fill(ours, new SeededRandom(1234));
      if (zeroRows(ours, width).join(',') !== zeroRows(data, width).join(',')) {
        problems.push(`${spec.name}: zero rows [${zeroRows(ours, width).join(', ')}], Python [${zeroRows(data, width).join(', ')}]`);
      }
      if (data.length >= 64 && Math.abs(sampleStd(ours) - sampleStd(data)) > 0.35 * sampleStd(data)) {
        problems.push(`${spec.name}: std ${sampleStd(ours).toFixed(4)}, Python ${sampleStd(data).toFixed(4)}`);
      }
    }
  }
  for (const name of saved) problems.push(`missing ${name} [${checkpoint.info(prefix + name).shape.join(', ')}]`);
  return problems;
}

/** The first `count` images of a batch. */
function firstImages(pixelValues: PixelBatch, count: number): PixelBatch {
  const [, c, h, w] = pixelValues.dims;
  return { data: pixelValues.data.subarray(0, count * c * h * w), dims: [count, c, h, w] };
}

/** Logits [rows, T, V] of `ids` fed one token per step through the cache (mask entries for the new token). */
async function stepByStep(model: VisionEncoderDecoderModel, pixelValues: PixelBatch, ids: number[][], mask?: number[][]): Promise<Float32Array> {
  const session = model.startDecoding(await model.encode(pixelValues), ids.map((_, i) => i));
  const T = ids[0]!.length;
  const V = model.vocabSize;
  const out = new Float32Array(ids.length * T * V);
  try {
    for (let t = 0; t < T; t++) {
      const step = await session.step(
        ids.map((row) => [row[t]!]),
        mask ? { attentionMask: mask.map((row) => [row[t]!]) } : {},
      );
      for (let r = 0; r < ids.length; r++) out.set(step.data.subarray(r * V, (r + 1) * V), (r * T + t) * V);
    }
  } finally {
    session.dispose();
  }
  return out;
}

/**
 * The golden tests of one encoder + text decoder fixture against transformers
 * 5.18: the weight list, enc_to_dec_proj, first-step / teacher-forced /
 * padded-mask logits within 1e-4, cached decoding equal to teacher forcing,
 * greedy and beam ids identical, texts equal to `batch_decode`, and the
 * pipeline from the image files.
 */
export function describeDecoderGolden(name: string): void {
  describe(name, () => {
    const ref = loadDecoderReference(name);
    let model: VisionEncoderDecoderModel;
    let pixelValues: PixelBatch;
    let modelGeneration: GenerationOptions;

    beforeAll(async () => {
      model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
      const info = ref.tensors.info('pixel_values');
      pixelValues = { data: ref.tensors.getFloat32('pixel_values'), dims: info.shape as PixelBatch['dims'] };
      modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
    });
    afterAll(() => model?.dispose());

    it(`${ref.json.decoder_model_type} weights(): the decoder tensors of Python's checkpoint, with their init rules`, async () => {
      const { decoder, decoderConfig } = model.parts;
      expect(compareDecoderWeights(decoder.weights(decoderConfig), await loadWeights(new DirectoryFiles(ref.dir)))).toEqual([]);
    });

    it(`enc_to_dec_proj ${ref.json.has_enc_to_dec_proj ? 'exists' : 'is absent'}, as in Python`, () => {
      expect(model.parts.hasProjection).toBe(ref.json.has_enc_to_dec_proj);
    });

    it('first-step logits within 1e-4', async () => {
      const logits = await model.logits(pixelValues, ref.json.decoder_input_ids.map((row) => [row[0]!]));
      expect(maxAbsDiff(logits.data, ref.tensors.getFloat32('first_step_logits'))).toBeLessThan(1e-4);
    });

    it('teacher-forced logits within 1e-4', async () => {
      const logits = await model.logits(pixelValues, ref.json.decoder_input_ids);
      expect([logits.rows, logits.positions, logits.vocab]).toEqual(ref.tensors.info('teacher_forced_logits').shape);
      expect(maxAbsDiff(logits.data, ref.tensors.getFloat32('teacher_forced_logits'))).toBeLessThan(1e-4);
    });

    it('cached step-by-step decoding equals one teacher-forced pass', async () => {
      const full = await model.logits(pixelValues, ref.json.decoder_input_ids);
      expect(maxAbsDiff(await stepByStep(model, pixelValues, ref.json.decoder_input_ids), full.data)).toBeLessThan(1e-5);
    });

    const masked = ref.json.masked;
    if (masked !== null) {
      // The padded inputs belong to the first images (one row each).
      const images = () => firstImages(pixelValues, masked.decoder_input_ids.length);

      it('padded decoder_attention_mask: one-pass logits within 1e-4', async () => {
        const logits = await model.logits(images(), masked.decoder_input_ids, masked.decoder_attention_mask);
        expect(maxAbsDiff(logits.data, ref.tensors.getFloat32('teacher_forced_masked_logits'))).toBeLessThan(1e-4);
      });

      // Padding-aware positions (RoBERTa, TrOCR-sinusoidal) count only the new tokens with a cache, so after
      // a pad the cached logits differ from one pass, as in Python; elsewhere both paths agree.
      const incremental = ref.tensors.names().includes('incremental_masked_logits');
      it(`padded decoder_attention_mask: cached logits within 1e-4 ${incremental ? "of Python's cached pass" : 'of the one pass'}`, async () => {
        const logits = await stepByStep(model, images(), masked.decoder_input_ids, masked.decoder_attention_mask);
        const expected = ref.tensors.getFloat32(incremental ? 'incremental_masked_logits' : 'teacher_forced_masked_logits');
        expect(maxAbsDiff(logits, expected)).toBeLessThan(1e-4);
      });
    }

    it(`generation config from ${ref.json.generation_config_file ? 'generation_config.json' : 'the decoder config'}`, () => {
      expect(model.generationConfigJson !== undefined).toBe(ref.json.generation_config_file);
      expect(modelGeneration.eosTokenId).toEqual(ref.json.eos_token_id);
      expect(modelGeneration.padTokenId).toEqual(ref.json.pad_token_id);
      expect(modelGeneration.decoderStartTokenId ?? modelGeneration.bosTokenId).toEqual(ref.json.decoder_start_token_id);
      expect(modelGeneration.forcedEosTokenId ?? null).toEqual(ref.json.forced_eos_token_id);
    });

    it('greedy ids identical to Python (rows finishing at different steps)', async () => {
      const out = await generate(model, { pixelValues, modelGenerationConfig: modelGeneration }, { maxNewTokens: ref.json.greedy.max_new_tokens });
      expect(out.sequences).toEqual(ref.json.greedy.sequences);
    });

    it('beam search (3 beams) ids identical to Python', async () => {
      const out = await generate(
        model,
        { pixelValues, modelGenerationConfig: modelGeneration },
        { numBeams: ref.json.beam.num_beams, maxNewTokens: ref.json.beam.max_new_tokens },
      );
      expect(out.sequences).toEqual(ref.json.beam.sequences);
    });

    it('texts equal Python batch_decode(skip_special_tokens=True) of the greedy and beam ids', async () => {
      const tokenizer = await Tokenizer.fromFiles(new DirectoryFiles(ref.dir));
      expect(tokenizer?.batchDecode(ref.json.greedy.sequences, { skipSpecialTokens: true })).toEqual(ref.json.greedy_text);
      expect(tokenizer?.batchDecode(ref.json.beam.sequences, { skipSpecialTokens: true })).toEqual(ref.json.beam_text);
    });

    it('`ved caption --json` prints Python\'s greedy and beam ids and texts', async () => {
      const { runCaption } = await import('../cli/caption.js');
      const images = ref.json.images.map((p) => join(REPO_ROOT, p));
      const caption = async (flags: string[]) => {
        const lines: string[] = [];
        const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
        try {
          await runCaption([...images, '--model', ref.dir, '--json', ...flags]);
        } finally {
          write.mockRestore();
        }
        return lines.join('').trim().split('\n').map((l) => JSON.parse(l) as { sequences: Array<{ ids: number[]; text: string }> });
      };
      const greedy = await caption(['--max-new-tokens', String(ref.json.greedy.max_new_tokens)]);
      expect(greedy.map((l) => l.sequences[0]!.ids)).toEqual(ref.json.greedy.sequences);
      expect(greedy.map((l) => l.sequences[0]!.text)).toEqual(ref.json.greedy_text);
      const beam = await caption(['--max-new-tokens', String(ref.json.beam.max_new_tokens), '--num-beams', String(ref.json.beam.num_beams)]);
      expect(beam.map((l) => l.sequences[0]!.ids)).toEqual(ref.json.beam.sequences);
      expect(beam.map((l) => l.sequences[0]!.text)).toEqual(ref.json.beam_text);
    });

    it('pipeline: pixel_values from the image files within 1e-5, same ids and texts', async () => {
      const { ImageToText } = await import('../pipeline.js');
      const pipe = await ImageToText.fromPretrained(ref.dir);
      try {
        const images = ref.json.images.map((p) => join(REPO_ROOT, p));
        const pv = await pipe.preprocess(images);
        expect(pv.dims).toEqual(pixelValues.dims);
        expect(maxAbsDiff(pv.data, pixelValues.data)).toBeLessThan(1e-5);
        const result = await pipe.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens });
        expect(result.sequences).toEqual(ref.json.greedy.sequences);
        expect(result.texts).toEqual(ref.json.greedy_text);
      } finally {
        await pipe.dispose();
      }
    });
  });
}
