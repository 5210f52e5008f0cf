/**
 * What a backend supplies to core: ONNX Runtime sessions and tensors. Core
 * speaks only onnxruntime-common's types; onnxruntime-node or onnxruntime-web
 * provide the implementation.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { WeightSpill } from './onnx/graph-builder.js';
import type { WeightDtype } from './nn/context.js';

export type TensorType = 'float32' | 'int64' | 'float16' | 'int32' | 'bool' | 'uint8' | 'int8';
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array | Int8Array;

/** What a cache of optimized sessions reports for one session (`SessionHints.onCache`). */
export type SessionCacheStatus = 'hit' | 'written' | 'miss' | 'rebuilt' | 'off';

/** What core tells a backend about a session it asks for, beyond the model bytes and options. */
export interface SessionHints {
  /** Which graph this is (`encoder`, `decoder`, ...), for messages. */
  label?: string;
  /** Files on disk that the model's initializers point at: their identity (size, mtime) keys a cache. */
  diskFiles?: readonly string[];
  /** Those of `diskFiles` written for this load (`createWeightSpill`): their content keys a cache, not their temporary path. */
  spilledFiles?: readonly string[];
  /**
   * Whether the backend may reuse or store the session's optimized graph in its cache (`LoadOptions.sessionCache`);
   * a string is the cache directory.
   */
  cache?: boolean | string;
  /** Called once with what the cache did (`off` when no cache was used). */
  onCache?: (status: SessionCacheStatus) => void;
  /** Where cache warnings go (a corrupt entry that is rebuilt, a cache that cannot be written). */
  onWarning?: (message: string) => void;
}

export interface Runtime {
  /** Name of the backend, e.g. `onnxruntime-node (cpu)`. */
  readonly name: string;
  /** Opens a session; `hints` are optional and a backend may ignore them (see `SessionHints`). */
  createSession(model: Uint8Array, options?: InferenceSession.SessionOptions, hints?: SessionHints): Promise<InferenceSession>;
  tensor(type: TensorType, data: TensorData, dims: readonly number[]): Tensor;
  /**
   * Whether the runtime's sessions read weights from a local file by its path (onnxruntime's external data
   * with a file location); default true. Where it does, float32 tensors of a checkpoint on local disk
   * (`model.safetensors`, `pytorch_model.bin`) go to onnxruntime as a file, an offset and a length, and
   * never pass through JavaScript. onnxruntime-web's runtime says false: a browser has no paths, and in
   * Node its WebAssembly module cannot open them, so the weights are read and handed over as bytes.
   */
  readonly readsFilePaths?: boolean;
  /** Memory the model's weights can take at most (e.g. the machine's RAM); configs implying more are refused before loading. */
  readonly memoryBytes?: number;
  /**
   * A full garbage collection now, where the platform allows one. Called after a load whose weights went
   * through JavaScript (quantized on load, or read from a pickle): their buffers are garbage once the
   * runtime holds its own copies, but the JavaScript engine does not count them as pressure and would
   * keep them resident through the first runs (ViT-B/16 + GPT-2 in q8: ~520 MiB of fp32 reads and ~230 MiB
   * of int8 weights).
   */
  collectGarbage?(): void;
  /**
   * A place on disk for the weights a load computes in JavaScript (quantized, or converted to float32), which
   * onnxruntime then reads as it reads the checkpoint's, where the platform has files. Without it they travel
   * inside the serialised model, which onnxruntime parses into another copy (ViT-B/16 + GPT-2 in q8: 227 MiB
   * more at the load's peak).
   */
  createWeightSpill?(): WeightSpill | undefined;
  /**
   * Whether a model's decoder session keeps onnxruntime's CPU memory arena when `LoadOptions.memoryArena`
   * and `sessionOptions.enableCpuMemArena` do not say; default true. onnxruntime-node's runtime says false:
   * the steps' small allocations, of a new shape at every step, are served as fast without it, and the
   * arena kept what a teacher-forced pass grew it to (docs/bench.md).
   */
  readonly decoderMemoryArena?: boolean;
  /**
   * The same for the encoder's session, for all weight types or per `LoadOptions.dtype`; default true.
   * onnxruntime-node's runtime says false for `q8` and `q4`: with quantized weights the arena kept the
   * largest batch's activations, 100–130 MiB more at the bench's peak on both models (ViT-B/16 + GPT-2 in
   * q8 698–723 against 826–843 MiB), at the same speed; with float weights it is kept, because without it
   * DeiT at 384 over 8 images peaked ~120 MiB higher (docs/bench.md).
   */
  readonly encoderMemoryArena?: boolean | Partial<Record<WeightDtype, boolean>>;
  /**
   * Build linear layers as `MatMul` over a transposed copy of the weight plus `Add`, instead of `Gemm`
   * reading the weight as stored (core's `BuildLayout.linearAsMatMul`). onnxruntime-web's WebAssembly
   * build ran DeiT-small's encoder about 14% faster so (docs/bench.md); on Node the two are level and `Gemm`
   * reads the checkpoint's file without a copy. Default false.
   */
  readonly linearAsMatMul?: boolean;
  /**
   * Whether the runtime's sessions fill pre-allocated outputs in place (`run(feeds, fetches)` with tensors
   * over views of one buffer), which `LoadOptions.encoderImagesPerRun` needs. Default false.
   */
  readonly encoderOutputsInPlace?: boolean;
  /**
   * Frees the outputs of earlier runs that are garbage by now, where the platform can and it is due; called
   * before each encoder run, where a generation's largest allocations start. onnxruntime-node's runtime
   * collects once its runs returned 128 MiB since the last collection (backend-node's output-garbage.ts).
   */
  reclaimOutputs?(): void;
}

export type { InferenceSession, Tensor };
