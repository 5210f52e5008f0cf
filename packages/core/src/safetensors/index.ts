/** Reading and writing safetensors checkpoints, single-file and sharded. */
export { SAFETENSORS_DTYPES, dtypeItemsize, isSafetensorsDtype, type SafetensorsDtype } from './dtype.js';
export {
  bfloat16BitsToFloat32Bits,
  bfloat16ToFloat32,
  float16BitsToFloat32Bits,
  float16ToFloat32,
  float32BitsToBfloat16Bits,
  float32BitsToFloat16Bits,
  float32ToBfloat16,
  float32ToFloat16,
} from './half-precision.js';
export { dumpsPythonJson, pythonFloat, type PythonJsonOptions } from './python-json.js';
export {
  MAX_HEADER_BYTES,
  parseSafetensors,
  parseSafetensorsHeader,
  safetensorsHeaderSize,
  openSafetensors,
  type SafetensorsFile,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from './reader.js';
export {
  DEFAULT_MAX_SHARD_SIZE,
  parseSizeToInt,
  planShards,
  serializeShardIndex,
  type PlannedShard,
  type ShardPlan,
  type ShardPlanOptions,
} from './shard-plan.js';
export { loadShardedSafetensors, parseShardIndex, type ShardIndex, type ShardedSafetensors } from './sharded.js';
export { withoutFilePaths, type TensorInfo, type TensorSource } from './tensor-source.js';
export { joinBytes, safetensorsParts, serializeSafetensors, type TensorToSave } from './writer.js';
