/**
 * The context an architecture builds its graph in: the graph builder plus
 * access to the checkpoint's weights under a name prefix, so that a block can
 * fetch `attention.output.dense.weight` relative to where it sits.
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { WeightBinder } from '../weights/weight-binder.js';

/** How matrix weights are stored in the graph (DESIGN.md: quantization on load). */
export type WeightDtype = 'fp32' | 'fp16' | 'q8' | 'q4';

export const WEIGHT_DTYPES: readonly WeightDtype[] = ['fp32', 'fp16', 'q8', 'q4'];

export class BuildContext {
  constructor(
    readonly g: GraphBuilder,
    private readonly weights: WeightBinder,
    readonly prefix: string,
    /** Storage of the large matrix weights (linear layers, LM heads); norms and biases stay fp32. */
    readonly dtype: WeightDtype = 'fp32',
  ) {}

  /** A context whose names are relative to `prefix` below this one (a trailing dot is added). */
  at(prefix: string): BuildContext {
    return new BuildContext(this.g, this.weights, `${this.prefix}${prefix}.`, this.dtype);
  }

  /** The float32 data of a weight (for quantizing or transforming it), shape-checked. */
  read(name: string, shape: readonly number[]): Float32Array {
    return this.weights.get(this.fullName(name), shape);
  }

  /** The full checkpoint name of a relative weight name. */
  fullName(name: string): string {
    return `${this.prefix}${name}`;
  }

  has(name: string): boolean {
    return this.weights.has(this.fullName(name));
  }

  /** A weight as stored, checked against `shape`. */
  weight(name: string, shape: readonly number[]): string {
    const full = this.fullName(name);
    if (this.g.hasInitializer(full)) return full;
    return this.g.initializer(full, 'float32', shape, this.weights.getForGraph(full, shape));
  }

  /** A weight transformed once at build time (e.g. transposed), stored under `full + tag`. */
  derived(name: string, shape: readonly number[], tag: string, outShape: readonly number[], fn: (w: Float32Array) => Float32Array): string {
    const full = this.fullName(name);
    const key = `${full}${tag}`;
    if (this.g.hasInitializer(key)) return key;
    return this.g.initializer(key, 'float32', outShape, fn(this.weights.get(full, shape)));
  }
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = w[base + c]!;
  }
  return out;
}
