/**
 * `flax_model.msgpack`: Flax's `serialization.to_bytes` of a transformers
 * 4.x Flax model's params (`flax/serialization.py`: nested maps; arrays as
 * msgpack extension 1 holding `(shape, dtype name, bytes)`, scalars as
 * extension 2; arrays over 1 GiB split into `__msgpack_chunked_array__`
 * maps), decoded with @msgpack/msgpack. Array bytes stay views of the file
 * until a tensor is read. Names and layouts become PyTorch's as transformers
 * 4.x's `load_flax_weights_in_pytorch_model` (`modeling_flax_pytorch_utils.py`)
 * makes them: keys joined with ".", `kernel` → `weight` transposed (4-D
 * conv kernels HWIO → OIHW with axes (3, 2, 0, 1), others reversed),
 * `scale` / `embedding` → `weight`, batch-norm `mean` / `var` →
 * `running_mean` / `running_var`, the `batch_stats`/`params` header dropped.
 */
import { VedError } from '../../errors.js';
import type { SafetensorsDtype } from '../../safetensors/dtype.js';
import { ConvertedTensors, type ConvertedTensor } from '../converted-tensors.js';
import { toFloat32 } from '../../safetensors/to-float32.js';

type Msgpack = typeof import('@msgpack/msgpack');
let msgpack: Promise<Msgpack> | undefined;

const DTYPES: Readonly<Record<string, { dtype: SafetensorsDtype; itemsize: number }>> = {
  float32: { dtype: 'F32', itemsize: 4 },
  float64: { dtype: 'F64', itemsize: 8 },
  float16: { dtype: 'F16', itemsize: 2 },
  bfloat16: { dtype: 'BF16', itemsize: 2 },
  int8: { dtype: 'I8', itemsize: 1 },
  uint8: { dtype: 'U8', itemsize: 1 },
  int16: { dtype: 'I16', itemsize: 2 },
  bool: { dtype: 'BOOL', itemsize: 1 },
};

/** A decoded array: its bytes are a view of the file. */
class FlaxArray {
  constructor(
    readonly shape: number[],
    readonly dtype: SafetensorsDtype,
    readonly bytes: Uint8Array,
  ) {}
}

/** A `__msgpack_chunked_array__` leaf: concatenated on read. */
class ChunkedArray {
  constructor(
    readonly shape: number[],
    readonly chunks: FlaxArray[],
  ) {}
}

/** Decodes a `flax_model.msgpack` held in memory; tensors are converted when read. */
export async function openFlaxMsgpack(bytes: Uint8Array, fileName: string): Promise<ConvertedTensors> {
  const { decode, ExtensionCodec } = await (msgpack ??= import('@msgpack/msgpack'));
  const invalid = (detail: string, cause?: unknown) =>
    new VedError('INVALID_CHECKPOINT', `${fileName} is not a Flax msgpack checkpoint: ${detail}.`, cause === undefined ? undefined : { cause });
  const codec = new ExtensionCodec();
  const decodeArray = (data: Uint8Array): FlaxArray => {
    const triple = decode(data);
    if (!Array.isArray(triple) || triple.length !== 3) throw invalid('an array extension does not hold (shape, dtype, bytes)');
    const [shape, dtypeName, buffer] = triple as unknown[];
    const name = typeof dtypeName === 'string' ? dtypeName : dtypeName instanceof Uint8Array ? new TextDecoder().decode(dtypeName) : undefined;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw invalid('an array has an invalid shape');
    if (!(buffer instanceof Uint8Array)) throw invalid('an array has no byte buffer');
    const known = name === undefined ? undefined : DTYPES[name];
    if (known === undefined) throw new VedError('UNSUPPORTED_DTYPE', `${fileName}: an array has dtype ${JSON.stringify(name)}; supported: ${Object.keys(DTYPES).join(', ')}.`);
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (numel * known.itemsize !== buffer.length) {
      throw invalid(`an array of shape [${shape.join(', ')}] and dtype ${name} holds ${buffer.length} bytes, expected ${numel * known.itemsize}`);
    }
    return new FlaxArray(shape as number[], known.dtype, buffer);
  };
  codec.register({ type: 1, encode: () => null, decode: decodeArray });
  codec.register({ type: 2, encode: () => null, decode: decodeArray });
  let tree: unknown;
  try {
    tree = decode(bytes, { extensionCodec: codec });
  } catch (error) {
    if (error instanceof VedError) throw error;
    throw invalid(`msgpack decoding failed (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (!isMap(tree)) throw invalid('its top level is not a map of parameters');

  const leaves: Array<[string[], FlaxArray | ChunkedArray]> = [];
  flatten(tree, [], leaves, invalid);
  const batchStats = Object.hasOwn(tree, 'batch_stats');
  const tensors = new Map<string, ConvertedTensor>();
  for (const [path, leaf] of leaves) {
    const { name, axes } = flaxToPytorchName(path, leaf.shape.length, batchStats);
    if (tensors.has(name)) throw invalid(`two arrays map to the PyTorch weight ${JSON.stringify(name)}`);
    const dtype = leaf instanceof FlaxArray ? leaf.dtype : (leaf.chunks[0]?.dtype ?? 'F32');
    tensors.set(name, {
      storedName: path.join('/'),
      storedShape: leaf.shape,
      dtype,
      ...(axes !== undefined ? { axes } : {}),
      read: () => readLeaf(leaf, name, fileName),
    });
  }
  return new ConvertedTensors(fileName, tensors);
}

/** `load_flax_weights_in_pytorch_model`'s renaming of one flattened key, and the transpose it applies. */
export function flaxToPytorchName(path: readonly string[], rank: number, batchStats: boolean): { name: string; axes?: number[] } {
  const key = [...path];
  const last = key[key.length - 1]!;
  let axes: number[] | undefined;
  if (last === 'kernel' && rank === 4) {
    key[key.length - 1] = 'weight';
    axes = [3, 2, 0, 1];
  } else if (last === 'kernel') {
    key[key.length - 1] = 'weight';
    axes = Array.from({ length: rank }, (_, i) => rank - 1 - i); // ndarray.T
  } else if (last === 'scale' || last === 'embedding') {
    key[key.length - 1] = 'weight';
  } else if (last.includes('mean')) {
    key[key.length - 1] = 'running_mean';
  } else if (last.includes('var')) {
    key[key.length - 1] = 'running_var';
  }
  const name = (batchStats ? key.slice(1) : key).join('.');
  return axes === undefined ? { name } : { name, axes };
}

function flatten(
  node: Record<string, unknown>,
  path: string[],
  out: Array<[string[], FlaxArray | ChunkedArray]>,
  invalid: (detail: string) => VedError,
): void {
  for (const [key, value] of Object.entries(node)) {
    const here = [...path, key];
    if (value instanceof FlaxArray) out.push([here, value]);
    else if (isMap(value) && Object.hasOwn(value, '__msgpack_chunked_array__')) out.push([here, chunked(value, here, invalid)]);
    else if (isMap(value)) flatten(value, here, out, invalid);
    else throw invalid(`${here.join('/')} is a ${value === null ? 'nil' : typeof value}, not an array or a map`);
  }
}

function chunked(value: Record<string, unknown>, path: string[], invalid: (detail: string) => VedError): ChunkedArray {
  const shapeMap = value.shape;
  const chunkMap = value.chunks;
  const shape = isMap(shapeMap) ? Object.keys(shapeMap).sort((a, b) => Number(a) - Number(b)).map((k) => shapeMap[k]) : undefined;
  const chunks = isMap(chunkMap) ? Object.keys(chunkMap).sort((a, b) => Number(a) - Number(b)).map((k) => chunkMap[k]) : undefined;
  if (shape === undefined || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) || chunks === undefined || !chunks.every((c) => c instanceof FlaxArray)) {
    throw invalid(`${path.join('/')} is a malformed chunked array`);
  }
  const total = (shape as number[]).reduce((a, b) => a * b, 1);
  const held = (chunks as FlaxArray[]).reduce((sum, c) => sum + c.shape.reduce((a, b) => a * b, 1), 0);
  if (total !== held || new Set((chunks as FlaxArray[]).map((c) => c.dtype)).size > 1) throw invalid(`${path.join('/')}'s chunks do not make its shape`);
  return new ChunkedArray(shape as number[], chunks as FlaxArray[]);
}

function readLeaf(leaf: FlaxArray | ChunkedArray, name: string, fileName: string): Float32Array {
  if (leaf instanceof FlaxArray) return toFloat32(leaf.dtype, leaf.bytes, name, fileName);
  const parts = leaf.chunks.map((chunk) => toFloat32(chunk.dtype, chunk.bytes, name, fileName));
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof FlaxArray);
}
