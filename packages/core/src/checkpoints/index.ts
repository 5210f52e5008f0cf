/** Weights formats besides safetensors: torch `.bin`, TensorFlow `.h5`, Flax `.msgpack`. */
export {
  FLAX_WEIGHTS_INDEX_NAME,
  FLAX_WEIGHTS_NAME,
  TF2_WEIGHTS_INDEX_NAME,
  TF2_WEIGHTS_NAME,
  WEIGHTS_INDEX_NAME,
  WEIGHTS_NAME,
  hasTfOrFlaxWeights,
  hasTorchWeights,
  loadCheckpointWeights,
  type CheckpointLoadOptions,
} from './weights-files.js';
export { bytesFile, type RandomAccessFile } from './random-access.js';
export { TorchCheckpoint, type TorchTensorInfo } from './torch/torch-checkpoint.js';
export { ZipArchive, type ZipEntry } from './zip/zip-reader.js';
export { unpickle, type UnpicklerHooks } from './pickle/unpickler.js';
export { openKerasH5 } from './hdf5/keras-h5.js';
export { openFlaxMsgpack } from './flax/flax-msgpack.js';
export { ConvertedTensors } from './converted-tensors.js';
