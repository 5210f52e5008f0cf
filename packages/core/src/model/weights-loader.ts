/**
 * Opens a checkpoint's weights: `model.safetensors`, or the shards listed in
 * `model.safetensors.index.json`; failing those, the older formats in
 * transformers' order (`checkpoints/weights-files.ts`: `pytorch_model.bin`,
 * its shards, then `tf_model.h5` / `flax_model.msgpack` with a warning).
 */
import { VedError } from '../errors.js';
import { loadShardedSafetensors, parseSafetensors, parseShardIndex, type SafetensorsFile, type TensorSource } from '../safetensors/index.js';
import { readJson, type ModelFiles } from '../io/model-files.js';
import { TensorUnion, type Mount } from '../weights/in-memory-tensors.js';
import {
  FLAX_WEIGHTS_NAME,
  TF2_WEIGHTS_NAME,
  WEIGHTS_INDEX_NAME,
  WEIGHTS_NAME,
  loadCheckpointWeights,
  type CheckpointLoadOptions,
} from '../checkpoints/weights-files.js';

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

export async function loadWeights(files: ModelFiles, options: CheckpointLoadOptions = {}): Promise<TensorSource> {
  if (await files.exists(SAFETENSORS_FILE)) {
    if (files.openSafetensors) return files.openSafetensors(SAFETENSORS_FILE);
    return parseSafetensors(await files.readBytes(SAFETENSORS_FILE), `${files.location}/${SAFETENSORS_FILE}`);
  }
  if (await files.exists(SAFETENSORS_INDEX_FILE)) {
    if (files.openSafetensors) return openShards(files, files.openSafetensors.bind(files));
    return loadShardedSafetensors(`${files.location}/${SAFETENSORS_INDEX_FILE}`, (name) => {
      const base = name.slice(name.lastIndexOf('/') + 1);
      return files.readBytes(base);
    });
  }
  const older = await loadCheckpointWeights(files, options);
  if (older !== undefined) return older;
  throw new VedError(
    'FILE_NOT_FOUND',
    `No weights in ${files.location}: expected ${[SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE, WEIGHTS_NAME, WEIGHTS_INDEX_NAME, TF2_WEIGHTS_NAME, FLAX_WEIGHTS_NAME].join(', ')}.`,
  );
}

/** The shards of an index, opened lazily from disk, as one source. */
async function openShards(files: ModelFiles, open: (name: string) => Promise<SafetensorsFile>): Promise<TensorSource> {
  const indexName = `${files.location}/${SAFETENSORS_INDEX_FILE}`;
  const index = parseShardIndex(await readJson(files, SAFETENSORS_INDEX_FILE), indexName);
  const shards = new Map<string, SafetensorsFile>();
  for (const shard of index.shardFiles) shards.set(shard, await open(shard));
  const mounts: Mount[] = [];
  const seen = new Map<string, string>();
  for (const [shardName, shard] of shards) {
    for (const tensor of shard.names()) {
      const other = seen.get(tensor);
      if (other !== undefined) {
        throw new VedError('INVALID_SAFETENSORS', `${indexName}: tensor "${tensor}" is stored in both ${other} and ${shardName}.`);
      }
      seen.set(tensor, shardName);
    }
    mounts.push({ source: shard, from: '', to: '' });
  }
  for (const [tensor, shardName] of index.weightMap) {
    if (!shards.get(shardName)?.has(tensor)) {
      throw new VedError('INVALID_SAFETENSORS', `${indexName} lists tensor "${tensor}" in ${shardName}, but that shard does not hold it.`);
    }
  }
  return new TensorUnion(mounts);
}
