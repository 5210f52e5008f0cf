/** `ModelFiles` over an in-memory map, and a sharded copy of a checkpoint's weights. */
import {
  VedError,
  parseSafetensors,
  planShards,
  serializeSafetensors,
  serializeShardIndex,
  SAFETENSORS_FILE,
  SAFETENSORS_INDEX_FILE,
  type ModelFiles,
} from '@ved/core';

export class MemoryFiles implements ModelFiles {
  constructor(
    readonly location: string,
    private readonly files: ReadonlyMap<string, Uint8Array>,
  ) {}

  async exists(name: string): Promise<boolean> {
    return this.files.has(name);
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const bytes = this.files.get(name);
    if (bytes === undefined) throw new VedError('FILE_NOT_FOUND', `File not found: ${this.location}/${name}.`);
    return bytes;
  }
}

/**
 * Splits a `model.safetensors` into shards of at most `maxShardSize` bytes,
 * as `save_pretrained(max_shard_size=...)` does: returns the index file and
 * the shard files, by name.
 */
export function shardSafetensors(bytes: Uint8Array, maxShardSize: number): Map<string, Uint8Array> {
  const file = parseSafetensors(bytes, SAFETENSORS_FILE);
  const tensors = file.names().map((name) => ({ name, ...file.info(name) }));
  const plan = planShards(tensors, maxShardSize);
  const out = new Map<string, Uint8Array>();
  out.set(SAFETENSORS_INDEX_FILE, new TextEncoder().encode(serializeShardIndex(plan)));
  for (const shard of plan.shards) {
    out.set(
      shard.fileName,
      serializeSafetensors(
        shard.tensorNames.map((name) => ({ name, dtype: file.info(name).dtype, shape: file.info(name).shape, data: file.getRaw(name) })),
        { format: 'pt' },
      ),
    );
  }
  return out;
}

/** A model's files with the weights sharded (the other files as they are). */
export async function shardedCopy(files: ModelFiles, names: readonly string[], maxShardSize: number): Promise<MemoryFiles> {
  const map = new Map<string, Uint8Array>();
  for (const name of names) if (await files.exists(name)) map.set(name, await files.readBytes(name));
  for (const [name, bytes] of shardSafetensors(await files.readBytes(SAFETENSORS_FILE), maxShardSize)) map.set(name, bytes);
  return new MemoryFiles(`${files.location} (sharded)`, map);
}
