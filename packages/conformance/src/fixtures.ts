/** The Python reference fixtures, read through the environment, and models loaded once per environment. */
import { VisionEncoderDecoderModel, parseSafetensors, type PixelBatch, type SafetensorsFile } from '@ved/core';
import type { ConformanceEnv } from './types.js';
import { beamReference } from './beam-reference.js';

export const FIXTURE_MODELS = ['vit-gpt2-a', 'vit-gpt2-b'] as const;
export type FixtureModel = (typeof FIXTURE_MODELS)[number];

export interface ModelReference {
  json: {
    images: string[];
    decoder_input_ids: number[][];
    greedy: { max_new_tokens: number; sequences: number[][] };
    greedy_text: string[];
  };
  tensors: SafetensorsFile;
  pixelValues: PixelBatch;
}

export interface BeamCase {
  options: Record<string, unknown>;
  sequences: number[][];
  sequences_scores: number[];
}

export function beamCases(model: FixtureModel): BeamCase[] {
  return (beamReference.models as Record<string, BeamCase[]>)[model] ?? [];
}

const textDecoder = new TextDecoder();
const perEnv = new WeakMap<ConformanceEnv, Map<string, Promise<unknown>>>();

/** Memoises `make()` per environment and key (models load once per backend). */
function once<T>(env: ConformanceEnv, key: string, make: () => Promise<T>): Promise<T> {
  let memo = perEnv.get(env);
  if (memo === undefined) perEnv.set(env, (memo = new Map()));
  let value = memo.get(key) as Promise<T> | undefined;
  if (value === undefined) {
    value = make();
    memo.set(key, value);
    value.catch(() => memo!.delete(key));
  }
  return value;
}

export function loadReference(env: ConformanceEnv, model: FixtureModel): Promise<ModelReference> {
  return once(env, `reference:${model}`, async () => {
    const json = JSON.parse(textDecoder.decode(await env.fixture(`models/${model}/reference/reference.json`)));
    const tensors = parseSafetensors(await env.fixture(`models/${model}/reference/reference.safetensors`), `${model}/reference/reference.safetensors`);
    const info = tensors.info('pixel_values');
    return { json, tensors, pixelValues: { data: tensors.getFloat32('pixel_values'), dims: info.shape as PixelBatch['dims'] } };
  });
}

export function loadModel(env: ConformanceEnv, model: FixtureModel): Promise<VisionEncoderDecoderModel> {
  return once(env, `model:${model}`, async () => VisionEncoderDecoderModel.fromPretrained(await env.modelFiles(model), env.runtime));
}

/** Releases the sessions of every model loaded for `env`. */
export async function disposeModels(env: ConformanceEnv): Promise<void> {
  const memo = perEnv.get(env);
  if (memo === undefined) return;
  for (const [key, value] of memo) {
    if (key.startsWith('model:')) await (value as Promise<VisionEncoderDecoderModel>).then((m) => m.dispose(), () => undefined);
  }
  perEnv.delete(env);
}
