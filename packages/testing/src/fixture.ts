/**
 * Golden fixtures: a checkpoint directory as Python's
 * `VisionEncoderDecoderModel.save_pretrained` writes it, plus a `reference/`
 * folder with what transformers computed on it (`reference.json`,
 * `reference.safetensors`, and for encoders `encoder_weights.json`). ved's own
 * fixtures (tools/reference/make_*_fixtures.py) and the kit's generator
 * (python/make_fixtures.py) write this layout; every field the checks read is
 * described here, and a check whose data a fixture lacks does not apply.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { VedError, parseSafetensors, type PixelBatch, type SafetensorsFile } from '@ved/core';

/** How a weight looked right after Python's `_init_weights` (see python/ved_reference.py `classify_init`). */
export interface PythonInitEntry {
  shape: number[];
  /** Absent for float32 (non-float buffers such as `relative_position_index` are not weights). */
  dtype?: string;
  kind: 'zeros' | 'ones' | 'constant' | 'random';
  value?: number;
  std?: number;
}

/** One `interpolate_pos_encoding=True` case: random pixels at another size and the encoder output. */
export interface InterpolateCase {
  height: number;
  width: number;
  /** Tensor names in reference.safetensors. */
  pixel_values: string;
  last_hidden_state: string;
  shape: number[];
}

/** `reference/reference.json`. Only `greedy` is required; each other field enables the checks that use it. */
export interface ReferenceJson {
  encoder_model_type?: string;
  decoder_model_type?: string;
  /** Image files the pixel values were processed from (relative to the pipeline check's `imageRoot`). */
  images?: string[];
  /** Teacher-forced decoder inputs [B, T] (`teacher_forced_logits` holds their logits). */
  decoder_input_ids?: number[][];
  greedy: { max_new_tokens: number; sequences: number[][] };
  greedy_text?: string[];
  beam?: { num_beams: number; max_new_tokens: number; sequences: number[][] };
  beam_text?: string[];
  interpolate_pos_encoding?: InterpolateCase[];
  /** Padded decoder inputs (row 1 right-padded, row 2 with a pad inside), when recorded. */
  masked?: { decoder_input_ids: number[][]; decoder_attention_mask: number[][] } | null;
  has_enc_to_dec_proj?: boolean;
  /** Whether the checkpoint has generation_config.json (else tokens come from the decoder config). */
  generation_config_file?: boolean;
  decoder_start_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
  forced_eos_token_id?: number | null;
  /** `model(pixel_values, labels=labels).loss` (written by the kit's generator). */
  loss?: { labels: number[][]; value: number };
  [key: string]: unknown;
}

export interface GoldenFixture {
  /** Shown in test names, e.g. `deit-gpt2-a`. */
  name: string;
  /** The checkpoint directory. */
  dir: string;
  json: ReferenceJson;
  /** `reference/reference.safetensors`: `pixel_values`, `first_step_logits`, … */
  tensors: SafetensorsFile;
  /** `reference/encoder_weights.json`: every tensor under `encoder.` of a freshly initialised Python model. */
  encoderWeights?: Record<string, PythonInitEntry>;
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Cannot read the golden fixture file ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new VedError('INVALID_JSON', `${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Reads a golden fixture directory (`dir/reference/reference.json` and `reference.safetensors` are required). */
export function loadGoldenFixture(dir: string, name: string = basename(dir)): GoldenFixture {
  const root = resolve(dir);
  const refDir = join(root, 'reference');
  const json = readJsonFile(join(refDir, 'reference.json')) as ReferenceJson;
  const greedy = json?.greedy;
  if (typeof json !== 'object' || json === null || !Array.isArray(greedy?.sequences) || typeof greedy.max_new_tokens !== 'number') {
    throw new VedError(
      'INVALID_INPUT',
      `${join(refDir, 'reference.json')}: no "greedy": {"max_new_tokens", "sequences"}; expected a golden fixture written by @ved/testing's python/make_fixtures.py.`,
    );
  }
  const tensorPath = join(refDir, 'reference.safetensors');
  let bytes: Buffer;
  try {
    bytes = readFileSync(tensorPath);
  } catch (cause) {
    throw new VedError('FILE_NOT_FOUND', `Cannot read the golden fixture file ${tensorPath}: ${(cause as Error).message}`, { cause });
  }
  const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), tensorPath);
  if (!tensors.names().includes('pixel_values')) {
    throw new VedError('INVALID_INPUT', `${tensorPath} has no "pixel_values" tensor (found ${tensors.names().join(', ') || 'none'}).`);
  }
  const weightsPath = join(refDir, 'encoder_weights.json');
  const encoderWeights = existsSync(weightsPath) ? (readJsonFile(weightsPath) as Record<string, PythonInitEntry>) : undefined;
  return { name, dir: root, json, tensors, ...(encoderWeights ? { encoderWeights } : {}) };
}

/** The fixture's `pixel_values` (or another float tensor of it) as a batch [B, C, H, W]. */
export function fixturePixels(fixture: GoldenFixture, tensor = 'pixel_values'): PixelBatch {
  return { data: fixture.tensors.getFloat32(tensor), dims: fixture.tensors.info(tensor).shape as PixelBatch['dims'] };
}

/** Largest |a[i] - b[i]| (NaN counts as Infinity); a length mismatch throws. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new VedError('INVALID_INPUT', `maxAbsDiff: length ${a.length}, expected ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}
