/**
 * Sharded checkpoints: `model.safetensors.index.json`
 * (`{"metadata": {...}, "weight_map": {tensor: shardFile}}`) next to the
 * `model-0000i-of-0000n.safetensors` files it names, merged into one
 * `TensorSource`, as transformers' `load_sharded_checkpoint` reads them.
 *
 * Tensors a shard holds but the weight map does not list are kept (transformers
 * loads whole shards too); a tensor held by two shards is an error.
 */
import { VedError } from '../errors.js';
import { describeJson, isJsonObject, ownField } from './json-value.js';
import { parseSafetensors, type SafetensorsFile, type SafetensorsTensorInfo } from './reader.js';
import { missingTensorError, type TensorSource } from './tensor-source.js';

export interface ShardIndex {
  /** The index's `metadata` (usually `{total_size}`), a null-prototype object; empty when absent. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Tensor name to shard file name, in the index's order. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** Distinct shard file names, sorted. */
  readonly shardFiles: readonly string[];
}

/** Validates a parsed `model.safetensors.index.json`; `fileName` is used in error messages. */
export function parseShardIndex(json: unknown, fileName: string): ShardIndex {
  const invalid = (detail: string): VedError =>
    new VedError('INVALID_SAFETENSORS', `Shard index ${JSON.stringify(fileName)} is invalid: ${detail}.`);
  if (!isJsonObject(json)) throw invalid(`it is ${describeJson(json)}, expected a JSON object with "weight_map"`);

  const metadata = Object.create(null) as Record<string, unknown>;
  const rawMetadata = ownField(json, 'metadata');
  if (rawMetadata !== undefined && rawMetadata !== null) {
    if (!isJsonObject(rawMetadata)) throw invalid(`"metadata" is ${describeJson(rawMetadata)}, expected an object`);
    for (const [key, value] of Object.entries(rawMetadata)) metadata[key] = value;
  }

  const rawMap = ownField(json, 'weight_map');
  if (!isJsonObject(rawMap)) {
    throw invalid(`"weight_map" is ${describeJson(rawMap)}, expected an object mapping tensor names to shard file names`);
  }
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(rawMap)) {
    if (typeof shard !== 'string') {
      throw invalid(`weight_map[${JSON.stringify(tensor)}] is ${describeJson(shard)}, expected a shard file name`);
    }
    const problem = shardNameProblem(shard);
    if (problem !== undefined) {
      throw invalid(
        `weight_map[${JSON.stringify(tensor)}] is ${JSON.stringify(shard)}, which ${problem}; ` +
          `expected a plain file name in the index's directory, such as "model-00001-of-00002.safetensors"`,
      );
    }
    weightMap.set(tensor, shard);
  }
  if (weightMap.size === 0) throw invalid('"weight_map" is empty, expected at least one tensor');

  return {
    metadata: Object.freeze(metadata),
    weightMap,
    shardFiles: [...new Set(weightMap.values())].sort(),
  };
}

export interface ShardedSafetensors extends TensorSource {
  readonly indexFileName: string;
  readonly index: ShardIndex;
  /** The loaded shards, in `index.shardFiles` order. */
  readonly shards: readonly SafetensorsFile[];
  info(name: string): SafetensorsTensorInfo;
  getRaw(name: string): Uint8Array;
}

/**
 * Reads the index `indexFileName` and every shard it names (from the index's directory, through
 * `readFile`), validates them, and returns one source over all their tensors.
 *
 * `readFile` should throw a `VedError` with code `FILE_NOT_FOUND` (or any error whose `code` is
 * `ENOENT`, as `node:fs` does) for a missing file; it is reported naming the index and shard.
 */
export async function loadShardedSafetensors(
  indexFileName: string,
  readFile: (name: string) => Promise<Uint8Array>,
): Promise<ShardedSafetensors> {
  const indexBytes = await readNamedFile(readFile, indexFileName, `Shard index ${JSON.stringify(indexFileName)}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(indexBytes));
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'it is not valid UTF-8';
    throw new VedError('INVALID_JSON', `Shard index ${JSON.stringify(indexFileName)} is not valid JSON (${reason}).`, {
      cause: error,
    });
  }
  const index = parseShardIndex(json, indexFileName);

  const directory = indexFileName.slice(0, Math.max(indexFileName.lastIndexOf('/'), indexFileName.lastIndexOf('\\')) + 1);
  const listedCounts = new Map<string, number>();
  for (const shard of index.weightMap.values()) listedCounts.set(shard, (listedCounts.get(shard) ?? 0) + 1);
  const shards = await Promise.all(
    index.shardFiles.map(async (shardFile) => {
      const path = directory + shardFile;
      const listed = listedCounts.get(shardFile) ?? 0;
      const role = `Shard ${JSON.stringify(shardFile)} (listed for ${listed} tensor(s) in ${JSON.stringify(indexFileName)})`;
      return parseSafetensors(await readNamedFile(readFile, path, role), path);
    }),
  );

  const shardByFile = new Map(index.shardFiles.map((file, i) => [file, shards[i]!] as const));
  for (const [tensor, shardFile] of index.weightMap) {
    const shard = shardByFile.get(shardFile)!;
    if (!shard.has(tensor)) {
      throw new VedError(
        'INVALID_SAFETENSORS',
        `Shard index ${JSON.stringify(indexFileName)} maps tensor ${JSON.stringify(tensor)} to ` +
          `${JSON.stringify(shard.fileName)}, but that shard does not contain it (it holds ${shard.names().length} tensor(s)).`,
      );
    }
  }

  const owners = new Map<string, SafetensorsFile>();
  for (const shard of shards) {
    for (const tensor of shard.names()) {
      const other = owners.get(tensor);
      if (other !== undefined) {
        throw new VedError(
          'INVALID_SAFETENSORS',
          `Tensor ${JSON.stringify(tensor)} appears in two shards of ${JSON.stringify(indexFileName)}: ` +
            `${JSON.stringify(other.fileName)} and ${JSON.stringify(shard.fileName)}; expected each tensor in exactly one shard.`,
        );
      }
      owners.set(tensor, shard);
    }
  }
  return new MergedShards(indexFileName, index, shards, owners);
}

class MergedShards implements ShardedSafetensors {
  constructor(
    readonly indexFileName: string,
    readonly index: ShardIndex,
    readonly shards: readonly SafetensorsFile[],
    private readonly owners: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  names(): string[] {
    return [...this.owners.keys()];
  }

  has(name: string): boolean {
    return this.owners.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    return this.owner(name).info(name);
  }

  getFloat32(name: string): Float32Array {
    return this.owner(name).getFloat32(name);
  }

  getRaw(name: string): Uint8Array {
    return this.owner(name).getRaw(name);
  }

  sourceOf(name: string): string {
    return this.owner(name).fileName;
  }

  private owner(name: string): SafetensorsFile {
    const shard = this.owners.get(name);
    if (shard === undefined) {
      throw missingTensorError(name, `the shards of ${JSON.stringify(this.indexFileName)}`, this.names());
    }
    return shard;
  }
}

/** Why `name` is not a plain file name, or undefined when it is. */
function shardNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('/') || name.includes('\\')) return 'contains a path separator';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('\0')) return 'contains a NUL character';
  return undefined;
}

async function readNamedFile(
  readFile: (name: string) => Promise<Uint8Array>,
  path: string,
  role: string,
): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'FILE_NOT_FOUND' || code === 'ENOENT') {
      throw new VedError('FILE_NOT_FOUND', `${role} was not found at ${JSON.stringify(path)}.`, { cause: error });
    }
    throw error;
  }
}
