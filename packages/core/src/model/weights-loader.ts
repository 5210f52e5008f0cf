/**
 * Opens a checkpoint's weights: `model.safetensors`, or the shards listed in
 * `model.safetensors.index.json`.
 */
import { VedError } from '../errors.js';
import { loadShardedSafetensors, parseSafetensors, type TensorSource } from '../safetensors/index.js';
import type { ModelFiles } from '../io/model-files.js';

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

export async function loadWeights(files: ModelFiles): Promise<TensorSource> {
  if (await files.exists(SAFETENSORS_FILE)) {
    return parseSafetensors(await files.readBytes(SAFETENSORS_FILE), `${files.location}/${SAFETENSORS_FILE}`);
  }
  if (await files.exists(SAFETENSORS_INDEX_FILE)) {
    return loadShardedSafetensors(`${files.location}/${SAFETENSORS_INDEX_FILE}`, (name) => {
      const base = name.slice(name.lastIndexOf('/') + 1);
      return files.readBytes(base);
    });
  }
  throw new VedError(
    'FILE_NOT_FOUND',
    `No weights in ${files.location}: expected ${SAFETENSORS_FILE} or ${SAFETENSORS_INDEX_FILE}.`,
  );
}
