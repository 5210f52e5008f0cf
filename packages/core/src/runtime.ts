/**
 * What a backend supplies to core: ONNX Runtime sessions and tensors. Core
 * speaks only onnxruntime-common's types; onnxruntime-node or onnxruntime-web
 * provide the implementation.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';

export type TensorType = 'float32' | 'int64' | 'float16' | 'int32' | 'bool' | 'uint8' | 'int8';
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array | Int8Array;

export interface Runtime {
  /** Name of the backend, e.g. `onnxruntime-node (cpu)`. */
  readonly name: string;
  createSession(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  tensor(type: TensorType, data: TensorData, dims: readonly number[]): Tensor;
  /** Memory the model's weights can take at most (e.g. the machine's RAM); configs implying more are refused before loading. */
  readonly memoryBytes?: number;
}

export type { InferenceSession, Tensor };
