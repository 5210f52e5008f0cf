/**
 * Refusing a config whose weights cannot fit before anything is allocated:
 * the byte count the config implies (every weight of the composed model in
 * float32, as the checkpoint stores it and the graphs first hold it) against
 * what the runtime says it can hold, and each tensor against the largest
 * typed array JavaScript can make. Without it a config with
 * `hidden_size: 999999999` runs for a minute and ends in an untyped
 * `RangeError` (Python's torch would try to allocate the same bytes and fail
 * with "DefaultCPUAllocator: not enough memory").
 */
import { VedError } from '../errors.js';
import type { RawConfig } from '../config/config-reader.js';
import type { Composition } from './composition.js';
import { modelWeightSpecs } from './weight-specs.js';

/** Elements a Float32Array can hold (V8: 2^32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

/**
 * More layers than any model has: the weight list of such a config would take
 * the memory before its sizes could be summed.
 */
export const MAX_LAYERS = 10_000;

const LAYER_FIELD = /(^|_)(n_layer|layers|num_hidden_layers|decoder_layers|encoder_layers|depths)$/;

/** The layer counts a raw config declares (`n_layer`, `num_hidden_layers`, Swin's `depths`, …), summed. */
function declaredLayers(raw: RawConfig): number {
  let total = 0;
  for (const [key, value] of Object.entries(raw)) {
    if (!LAYER_FIELD.test(key)) continue;
    if (typeof value === 'number' && Number.isFinite(value)) total += Math.max(0, value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'number' && Number.isFinite(v)) total += Math.max(0, v);
  }
  return total;
}

/** A byte count for messages: `3.9 GB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toPrecision(3)} ${units[unit]}`;
}

export interface ImpliedSize {
  /** float32 bytes of every weight. */
  bytes: number;
  /** The largest tensor. */
  largest: { name: string; elements: number; shape: number[] };
}

/** The weights' float32 size implied by a composed config. */
export function impliedWeightSize(parts: Composition): ImpliedSize {
  for (const [side, raw] of [
    ['encoder', parts.config.encoder],
    ['decoder', parts.config.decoder],
  ] as const) {
    const layers = declaredLayers(raw);
    if (layers > MAX_LAYERS) {
      throw new VedError(
        'MODEL_TOO_LARGE',
        `${parts.config.fileName}: the ${side} config declares ${layers} layers; ved refuses more than ${MAX_LAYERS} (no real model has that many, and their weights could not fit in memory).`,
      );
    }
  }
  let bytes = 0;
  let largest = { name: '', elements: 0, shape: [] as number[] };
  for (const spec of modelWeightSpecs(parts)) {
    const elements = spec.shape.reduce((a, b) => a * b, 1);
    bytes += elements * 4;
    if (elements > largest.elements) largest = { name: spec.name, elements, shape: spec.shape };
  }
  return { bytes, largest };
}

/**
 * Throws `MODEL_TOO_LARGE` when the config's weights exceed `memoryBytes`
 * (when known) or one tensor exceeds what a typed array holds.
 */
export function checkModelSize(parts: Composition, memoryBytes: number | undefined): ImpliedSize {
  const size = impliedWeightSize(parts);
  const { largest } = size;
  const where = parts.config.fileName;
  if (largest.elements > MAX_TENSOR_ELEMENTS) {
    throw new VedError(
      'MODEL_TOO_LARGE',
      `${where}: weight "${largest.name}" would have shape [${largest.shape.join(', ')}] (${largest.elements} values, ${formatBytes(largest.elements * 4)}), ` +
        `more than the ${MAX_TENSOR_ELEMENTS} values one tensor can hold; the config implies ${formatBytes(size.bytes)} of weights in all. Check its sizes (hidden_size, vocab_size, …).`,
    );
  }
  if (memoryBytes !== undefined && size.bytes > memoryBytes) {
    throw new VedError(
      'MODEL_TOO_LARGE',
      `${where}: the config implies ${formatBytes(size.bytes)} of float32 weights (largest: "${largest.name}" [${largest.shape.join(', ')}]), ` +
        `more than the ${formatBytes(memoryBytes)} of memory this machine has. Check its sizes (hidden_size, vocab_size, layers, …).`,
    );
  }
  return size;
}
