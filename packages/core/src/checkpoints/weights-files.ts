/**
 * Which weights file of a checkpoint is read, in transformers' order
 * (`modeling_utils.py` `_get_resolved_checkpoint_files`): `model.safetensors`,
 * `model.safetensors.index.json`, `pytorch_model.bin`,
 * `pytorch_model.bin.index.json`; then, where Python needs `from_tf=True` /
 * `from_flax=True` (transformers 4.x; 5.x reads neither), `tf_model.h5` and
 * `flax_model.msgpack`, used with a warning. This module serves the formats
 * after safetensors; `model/weights-loader.ts` tries safetensors first.
 */
import { VedError } from '../errors.js';
import { readJson, readOptionalJson, type ModelFiles } from '../io/model-files.js';
import { parseShardIndex } from '../safetensors/sharded.js';
import type { TensorSource } from '../safetensors/tensor-source.js';
import { TensorUnion } from '../weights/in-memory-tensors.js';
import { openFlaxMsgpack } from './flax/flax-msgpack.js';
import { openKerasH5 } from './hdf5/keras-h5.js';
import { bytesFile, type RandomAccessFile } from './random-access.js';
import { TorchCheckpoint } from './torch/torch-checkpoint.js';

export const WEIGHTS_NAME = 'pytorch_model.bin';
export const WEIGHTS_INDEX_NAME = 'pytorch_model.bin.index.json';
export const TF2_WEIGHTS_NAME = 'tf_model.h5';
export const TF2_WEIGHTS_INDEX_NAME = 'tf_model.h5.index.json';
export const FLAX_WEIGHTS_NAME = 'flax_model.msgpack';
export const FLAX_WEIGHTS_INDEX_NAME = 'flax_model.msgpack.index.json';

export interface CheckpointLoadOptions {
  /** Told when weights come from TF or Flax files (default: one `console.warn` line, on stderr under Node). */
  onWarning?: (message: string) => void;
}

/** Opens `name` for ranged reads: from disk when the files offer it, else read whole. */
async function openRandomAccess(files: ModelFiles, name: string): Promise<RandomAccessFile> {
  if (files.openFile) return files.openFile(name);
  return bytesFile(await files.readBytes(name), `${files.location}/${name}`);
}

/** Whether the checkpoint has torch `.bin` weights (single or sharded). */
export async function hasTorchWeights(files: ModelFiles): Promise<boolean> {
  return (await files.exists(WEIGHTS_NAME)) || (await files.exists(WEIGHTS_INDEX_NAME));
}

/** Whether the checkpoint has TF or Flax weights. */
export async function hasTfOrFlaxWeights(files: ModelFiles): Promise<boolean> {
  for (const name of [TF2_WEIGHTS_NAME, FLAX_WEIGHTS_NAME, TF2_WEIGHTS_INDEX_NAME, FLAX_WEIGHTS_INDEX_NAME]) if (await files.exists(name)) return true;
  return false;
}

/**
 * The checkpoint's weights from `pytorch_model.bin` (or its shards), else
 * `tf_model.h5`, else `flax_model.msgpack`; undefined when it has none of them.
 */
export async function loadCheckpointWeights(files: ModelFiles, options: CheckpointLoadOptions = {}): Promise<TensorSource | undefined> {
  if (await files.exists(WEIGHTS_NAME)) return TorchCheckpoint.open(await openRandomAccess(files, WEIGHTS_NAME));
  if (await files.exists(WEIGHTS_INDEX_NAME)) return openTorchShards(files);
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  if (await files.exists(TF2_WEIGHTS_NAME)) {
    warn(
      `${files.location} has no PyTorch weights (model.safetensors, pytorch_model.bin): loading TensorFlow weights from ${TF2_WEIGHTS_NAME}, converted as transformers 4.x's from_tf=True does.`,
    );
    return openKerasH5(await files.readBytes(TF2_WEIGHTS_NAME), `${files.location}/${TF2_WEIGHTS_NAME}`, { encoderModelType: await encoderModelType(files) });
  }
  if (await files.exists(FLAX_WEIGHTS_NAME)) {
    warn(
      `${files.location} has no PyTorch weights (model.safetensors, pytorch_model.bin): loading Flax weights from ${FLAX_WEIGHTS_NAME}, converted as transformers 4.x's from_flax=True does.`,
    );
    return openFlaxMsgpack(await files.readBytes(FLAX_WEIGHTS_NAME), `${files.location}/${FLAX_WEIGHTS_NAME}`);
  }
  for (const index of [TF2_WEIGHTS_INDEX_NAME, FLAX_WEIGHTS_INDEX_NAME]) {
    if (await files.exists(index)) {
      throw new VedError(
        'UNSUPPORTED_CHECKPOINT',
        `${files.location} holds sharded ${index.startsWith('tf') ? 'TensorFlow' : 'Flax'} weights (${index}), which ved does not read; convert them once with transformers 4.x (from_pretrained(..., ${index.startsWith('tf') ? 'from_tf' : 'from_flax'}=True).save_pretrained(dir)).`,
      );
    }
  }
  return undefined;
}

/** The model_type of a composed checkpoint's encoder (names the TF main layer), if config.json says. */
async function encoderModelType(files: ModelFiles): Promise<string | undefined> {
  const config = await readOptionalJson(files, 'config.json').catch(() => undefined);
  if (typeof config !== 'object' || config === null) return undefined;
  const encoder = (config as { encoder?: { model_type?: unknown } }).encoder;
  return typeof encoder?.model_type === 'string' ? encoder.model_type : undefined;
}

/** `pytorch_model.bin.index.json` and its shards, each opened lazily, as one source. */
async function openTorchShards(files: ModelFiles): Promise<TensorSource> {
  const indexName = `${files.location}/${WEIGHTS_INDEX_NAME}`;
  const index = parseShardIndex(await readJson(files, WEIGHTS_INDEX_NAME), indexName);
  const shards = new Map<string, TorchCheckpoint>();
  for (const shard of index.shardFiles) shards.set(shard, TorchCheckpoint.open(await openRandomAccess(files, shard)));
  const owner = new Map<string, string>();
  for (const [shardName, shard] of shards) {
    for (const tensor of shard.names()) {
      const other = owner.get(tensor);
      if (other !== undefined) throw new VedError('INVALID_CHECKPOINT', `${indexName}: tensor ${JSON.stringify(tensor)} is stored in both ${other} and ${shardName}.`);
      owner.set(tensor, shardName);
    }
  }
  for (const [tensor, shardName] of index.weightMap) {
    if (!shards.get(shardName)?.has(tensor)) {
      throw new VedError('INVALID_CHECKPOINT', `${indexName} lists tensor ${JSON.stringify(tensor)} in ${shardName}, but that shard does not hold it.`);
    }
  }
  return new TensorUnion([...shards.values()].map((source) => ({ source, from: '', to: '' })));
}
