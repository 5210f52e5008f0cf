/**
 * The read side every weight consumer sees: a named set of tensors, whether it
 * comes from one `model.safetensors` or from the shards of a
 * `model.safetensors.index.json`.
 */
import { VedError } from '../errors.js';
import type { SafetensorsDtype } from './dtype.js';

export interface TensorInfo {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

export interface TensorSource {
  /** Tensor names, in a stable order (file order; shards in file-name order). */
  names(): string[];
  has(name: string): boolean;
  /** Throws `MISSING_WEIGHT` when `name` is absent. */
  info(name: string): TensorInfo;
  /**
   * The tensor as float32. May be a view that shares memory with the loaded file: do not mutate it.
   * Throws `UNSUPPORTED_DTYPE` for dtypes that do not convert exactly (I32, I64).
   */
  getFloat32(name: string): Float32Array;
  /** The file that holds `name`, for error messages. */
  sourceOf(name: string): string;
  /**
   * Where an F32 tensor's bytes lie in a local file, when the source reads from
   * disk: the runtime can then load it without JavaScript touching the data.
   */
  external?(name: string): { file: string; offset: number; length: number } | undefined;
}

/** The same tensors without `external()`: every consumer gets the data itself, never a file's path. */
export function withoutFilePaths(source: TensorSource): TensorSource {
  if (source.external === undefined) return source;
  return {
    names: () => source.names(),
    has: (name) => source.has(name),
    info: (name) => source.info(name),
    getFloat32: (name) => source.getFloat32(name),
    sourceOf: (name) => source.sourceOf(name),
  };
}

/**
 * The `MISSING_WEIGHT` error for `name`, naming where it was looked up and suggesting tensors that
 * share its last dotted component (e.g. `...attention.output.dense.weight` for a misspelt prefix).
 */
export function missingTensorError(name: string, where: string, available: readonly string[]): VedError {
  const lastPart = name.slice(name.lastIndexOf('.') + 1);
  const similar = available
    .filter((candidate) => candidate.slice(candidate.lastIndexOf('.') + 1) === lastPart)
    .map((candidate) => ({ candidate, shared: commonPrefixLength(candidate, name) }))
    .sort((a, b) => b.shared - a.shared)
    .slice(0, 3)
    .map(({ candidate }) => JSON.stringify(candidate));
  const hint = similar.length > 0 ? `; similar names: ${similar.join(', ')}` : '';
  return new VedError(
    'MISSING_WEIGHT',
    `Tensor ${JSON.stringify(name)} is not in ${where}, which holds ${available.length} tensor(s)${hint}.`,
  );
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
