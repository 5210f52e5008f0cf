/**
 * Splitting a checkpoint into shards, as `save_pretrained` does: huggingface_hub's
 * `split_state_dict_into_shards_factory` for the split, and transformers'
 * `model.safetensors.index.json` (`json.dumps(index, indent=2, sort_keys=True) + "\n"`).
 *
 * Tensors are taken in the given order and a new shard starts when the next
 * tensor would push the current one past the limit; a tensor larger than the
 * limit gets a shard of its own. There is no bin packing, so the result is the
 * same as Python's for the same order of tensors.
 */
import { VedError } from '../errors.js';
import { checkedByteLength, dtypeItemsize, type SafetensorsDtype } from './dtype.js';
import { dumpsPythonJson } from './python-json.js';

export interface ShardPlanOptions {
  /** File name with a `{suffix}` placeholder; default `model{suffix}.safetensors`. */
  readonly filenamePattern?: string;
}

export interface PlannedShard {
  readonly fileName: string;
  readonly tensorNames: readonly string[];
  /** Sum of the tensors' data bytes (the file adds its header). */
  readonly byteLength: number;
}

export interface ShardPlan {
  /** False when everything fits in one file, named with an empty suffix (`model.safetensors`). */
  readonly isSharded: boolean;
  readonly shards: readonly PlannedShard[];
  /** Tensor name to shard file name. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** Sum of all tensors' data bytes: the index's `metadata.total_size`. */
  readonly totalSize: number;
}

/** Default of huggingface_hub's splitter; transformers' `save_pretrained` passes `"50GB"`. */
export const DEFAULT_MAX_SHARD_SIZE = '5GB';

/**
 * Splits tensors into shards of at most `maxShardSize` data bytes (a number, or a string such as
 * `"5GB"` or `"500MB"` with decimal units as in Python).
 */
export function planShards(
  tensors: ReadonlyArray<{ readonly name: string; readonly dtype: SafetensorsDtype; readonly shape: readonly number[] }>,
  maxShardSize: number | string = DEFAULT_MAX_SHARD_SIZE,
  options: ShardPlanOptions = {},
): ShardPlan {
  const limit = typeof maxShardSize === 'string' ? parseSizeToInt(maxShardSize) : maxShardSize;
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new VedError('INVALID_OPTION', `maxShardSize is ${String(maxShardSize)}, expected a positive number of bytes or a size like "5GB".`);
  }
  const pattern = options.filenamePattern ?? 'model{suffix}.safetensors';
  if (!pattern.includes('{suffix}')) {
    throw new VedError('INVALID_OPTION', `filenamePattern is ${JSON.stringify(pattern)}, expected it to contain "{suffix}".`);
  }

  const groups: Array<{ names: string[]; size: number }> = [];
  let current: { names: string[]; size: number } = { names: [], size: 0 };
  let totalSize = 0;
  const seen = new Set<string>();
  for (const { name, dtype, shape } of tensors) {
    if (seen.has(name)) throw new VedError('INVALID_INPUT', `Cannot plan shards: tensor name ${JSON.stringify(name)} is used twice.`);
    seen.add(name);
    const size = checkedByteLength(shape, dtypeItemsize(dtype));
    if (!size.ok) throw new VedError('INVALID_INPUT', `Cannot plan shards: tensor ${JSON.stringify(name)}: ${size.problem}.`);
    totalSize += size.byteLength;
    if (size.byteLength > limit) {
      groups.push({ names: [name], size: size.byteLength });
      continue;
    }
    if (current.size + size.byteLength > limit) {
      groups.push(current);
      current = { names: [], size: 0 };
    }
    current.names.push(name);
    current.size += size.byteLength;
  }
  // As in Python, no tensors means no shards.
  if (current.names.length > 0) groups.push(current);

  const count = groups.length;
  const shards = groups.map(({ names, size }, i) => ({
    fileName: pattern.replace('{suffix}', count === 1 ? '' : `-${pad5(i + 1)}-of-${pad5(count)}`),
    tensorNames: names,
    byteLength: size,
  }));
  const weightMap = new Map<string, string>();
  for (const shard of shards) for (const name of shard.tensorNames) weightMap.set(name, shard.fileName);
  return { isSharded: count > 1, shards, weightMap, totalSize };
}

/**
 * The `model.safetensors.index.json` text for `plan`, byte-identical to transformers' output.
 * Recent transformers also record `total_parameters` (the model's parameter count); pass it to match.
 */
export function serializeShardIndex(plan: ShardPlan, options: { readonly totalParameters?: number } = {}): string {
  const metadata: Record<string, number> = { total_size: plan.totalSize };
  if (options.totalParameters !== undefined) metadata['total_parameters'] = options.totalParameters;
  return `${dumpsPythonJson({ metadata, weight_map: plan.weightMap })}\n`;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { TB: 1e12, GB: 1e9, MB: 1e6, KB: 1e3 };

/** huggingface_hub's `parse_size_to_int`: `"5GB"` is 5 * 10^9 bytes; units TB, GB, MB, KB. */
export function parseSizeToInt(size: string): number {
  const text = size.trim();
  const multiplier = SIZE_UNITS[text.slice(-2).toUpperCase()];
  const value = Number(text.slice(0, -2).trim());
  if (multiplier === undefined || text.length <= 2 || !Number.isFinite(value)) {
    throw new VedError(
      'INVALID_OPTION',
      `Cannot read ${JSON.stringify(size)} as a size: expected a number followed by one of TB, GB, MB, KB (e.g. "5GB").`,
    );
  }
  return Math.trunc(value * multiplier);
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}
