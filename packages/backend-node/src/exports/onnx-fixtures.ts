/**
 * Test helpers for the ONNX export fixtures (tools/reference/make_onnx_fixtures.py
 * → fixtures/onnx/<name>/reference.json): inputs and expected ids.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors, type DtypeOption, type PixelBatch } from '@ved/core';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';

export interface OnnxVariant {
  layout: 'merged' | 'split';
  cache_style: 'decoder-only' | 'seq2seq';
  dtype: Record<string, 'fp32' | 'fp16'>;
  files: string[];
  onnxruntime_python: { greedy: number[][]; max_abs_logit_diff_vs_torch: number };
  expected_greedy: 'transformers' | 'onnxruntime_python';
}

export interface OnnxReference {
  name: string;
  dir: string;
  source: string;
  pixel_values: { file: string; tensor: string } | { formula: string; seed: number; shape: number[] };
  max_new_tokens: number;
  decoder_start_token_id: number;
  eos_token_id: number | null;
  pad_token_id: number;
  greedy: number[][];
  beam: { num_beams: number; sequences: number[][]; 'robust_to_1e-4_noise': boolean };
  variants: OnnxVariant[];
}

export const ONNX_FIXTURES = fixturePath('onnx');

export function onnxReferences(): OnnxReference[] {
  if (!existsSync(ONNX_FIXTURES)) return [];
  return readdirSync(ONNX_FIXTURES)
    .filter((name) => existsSync(join(ONNX_FIXTURES, name, 'reference.json')))
    .sort()
    .map((name) => ({ name, dir: join(ONNX_FIXTURES, name), ...JSON.parse(readFileSync(join(ONNX_FIXTURES, name, 'reference.json'), 'utf8')) }));
}

/** The pixel values the reference used: a tensor of a fixture file, or the script's formula (recomputed exactly). */
export function referencePixels(ref: OnnxReference): PixelBatch {
  const spec = ref.pixel_values;
  if ('file' in spec) {
    const bytes = readFileSync(join(REPO_ROOT, spec.file));
    const file = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), spec.file);
    return { data: Float32Array.from(file.getFloat32(spec.tensor)), dims: file.info(spec.tensor).shape as PixelBatch['dims'] };
  }
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  // ((i * 7919 + seed * 104729) mod 2001) / 1000 - 1, as make_onnx_fixtures.formula_pixels.
  for (let i = 0; i < n; i++) data[i] = Number((BigInt(i) * 7919n + BigInt(spec.seed) * 104729n) % 2001n) / 1000 - 1;
  return { data, dims: spec.shape as PixelBatch['dims'] };
}

/** The ids ved must produce for a variant: Python's, or onnxruntime-in-Python's for reduced-precision files. */
export function expectedGreedy(ref: OnnxReference, v: OnnxVariant): number[][] {
  return v.expected_greedy === 'transformers' ? ref.greedy : v.onnxruntime_python.greedy;
}

export function variantDtype(v: OnnxVariant): DtypeOption {
  return v.dtype;
}

export function variantLabel(v: OnnxVariant): string {
  const dtypes = [...new Set(Object.values(v.dtype))].join('+');
  return `${v.layout} ${v.cache_style} ${dtypes} (${v.files.join(', ')})`;
}

/** One image's row of a batch of pixel values. */
export function pixelRow(pixels: PixelBatch, row: number): PixelBatch {
  const [, c, h, w] = pixels.dims;
  const size = c * h * w;
  return { data: pixels.data.slice(row * size, (row + 1) * size), dims: [1, c, h, w] };
}

/** A Python greedy row without what follows its eos (batch-of-one generation stops there). */
export function untilEos(row: readonly number[], eos: number | null): number[] {
  if (eos === null) return [...row];
  const at = row.indexOf(eos, 1);
  return at < 0 ? [...row] : row.slice(0, at + 1);
}
