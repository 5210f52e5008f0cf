/**
 * A `TensorSource` over weights stored under other names and layouts
 * (TensorFlow, Flax): each tensor is read from its stored form on demand and
 * brought to PyTorch's layout by an axis permutation (a kernel's transpose,
 * HWIO → OIHW).
 */
import { VedError } from '../errors.js';
import type { SafetensorsDtype } from '../safetensors/dtype.js';
import { missingTensorError, type TensorInfo, type TensorSource } from '../safetensors/tensor-source.js';

export interface ConvertedTensor {
  /** The name in the file, for messages. */
  readonly storedName: string;
  /** Shape as stored. */
  readonly storedShape: readonly number[];
  readonly dtype: SafetensorsDtype;
  /** PyTorch axis i is stored axis `axes[i]`; undefined for none. */
  readonly axes?: readonly number[];
  /** The stored elements as float32, row-major in the stored shape. */
  read(): Float32Array;
}

export class ConvertedTensors implements TensorSource {
  constructor(
    readonly fileName: string,
    private readonly tensors: ReadonlyMap<string, ConvertedTensor>,
  ) {}

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo & { storedName: string } {
    const t = this.tensor(name);
    const shape = t.axes === undefined ? [...t.storedShape] : t.axes.map((axis) => t.storedShape[axis]!);
    return { dtype: t.dtype === 'F32' || t.dtype === 'F64' || t.dtype === 'F16' || t.dtype === 'BF16' ? 'F32' : t.dtype, shape, storedName: t.storedName };
  }

  sourceOf(name: string): string {
    return `${this.fileName} (${this.tensor(name).storedName})`;
  }

  getFloat32(name: string): Float32Array {
    const t = this.tensor(name);
    const data = t.read();
    const numel = t.storedShape.reduce((a, b) => a * b, 1);
    if (data.length !== numel) {
      throw new VedError('INVALID_CHECKPOINT', `${this.fileName}: ${t.storedName} holds ${data.length} values, but its shape [${t.storedShape.join(', ')}] needs ${numel}.`);
    }
    return t.axes === undefined ? data : permute(data, t.storedShape, t.axes);
  }

  private tensor(name: string): ConvertedTensor {
    const t = this.tensors.get(name);
    if (t === undefined) throw missingTensorError(name, JSON.stringify(this.fileName), this.names());
    return t;
  }
}

/** `numpy.transpose(data.reshape(shape), axes)`, flattened. */
export function permute(data: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const outShape = axes.map((a) => shape[a]!);
  const inStride = axes.map((a) => strides[a]!);
  const out = new Float32Array(data.length);
  if (data.length === 0) return out;
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let n = 0; n < out.length; n++) {
    out[n] = data[source]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += inStride[axis]!;
      if (index[axis]! < outShape[axis]!) break;
      source -= inStride[axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}
