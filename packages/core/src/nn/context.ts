/**
 * The context an architecture builds its graph in: the graph builder plus
 * access to the checkpoint's weights under a name prefix, so that a block can
 * fetch `attention.output.dense.weight` relative to where it sits.
 */
import { VedError } from '../errors.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { WeightBinder } from '../weights/weight-binder.js';

/** How matrix weights are stored in the graph (DESIGN.md: quantization on load). */
export type WeightDtype = 'fp32' | 'fp16' | 'q8' | 'q4';

export const WEIGHT_DTYPES: readonly WeightDtype[] = ['fp32', 'fp16', 'q8', 'q4'];

/**
 * How a training graph is built (core's `training/`): trainable weights are
 * graph inputs instead of initializers, and dropout is drawn where the
 * architecture applies it in train mode. Absent for inference graphs, which
 * stay exactly as they are.
 */
export interface TrainingMode {
  /** Whether the weight (full checkpoint name, as stored) is trained. */
  trainable(name: string): boolean;
  /** The graph input of a trainable weight (declared on first use). */
  parameter(name: string, shape: readonly number[]): string;
  /** Dropout masks; undefined when the forward runs as in eval mode (no dropout). */
  dropout?: DropoutMasks;
}

/** Draws dropout masks inside the graph (see `nn/dropout.ts`). */
export interface DropoutMasks {
  /**
   * A float mask shaped like `shape` (an int64 shape tensor) whose entries are
   * 0 with probability `p` and 1/(1-p) otherwise, fresh at every training step.
   */
  mask(g: GraphBuilder, shape: string, p: number, like: string): string;
}

/** How an inference graph is laid out for the session that runs it. */
export interface BuildLayout {
  /**
   * A language-model head whose weight is read from the checkpoint's file gets an initializer of
   * its own (`<name>.lm_head`), even when the embedding lookup reads the same tensor (tied
   * weights). onnxruntime maps each initializer on its own, repacks the head's for its GEMM and
   * then unmaps it; shared with the lookup, the mapping stayed, every page of it touched by the
   * repacking (GPT-2: 147 MiB resident beside the packed copy), where the lookup alone touches
   * only the rows it reads. For runtime sessions; not for exports, where it would write the
   * tensor twice, nor training graphs, where the backward pass reads the head's weight too.
   */
  ownHeadWeights?: boolean;
  /** `linear` as `MatMul` over a transposed copy of the weight, plus `Add` (see `Runtime.linearAsMatMul`). */
  linearAsMatMul?: boolean;
}

export class BuildContext {
  constructor(
    readonly g: GraphBuilder,
    private readonly weights: WeightBinder,
    readonly prefix: string,
    /** Storage of the large matrix weights (linear layers, LM heads); norms and biases stay fp32. */
    readonly dtype: WeightDtype = 'fp32',
    /** Set when building a training graph. */
    readonly training?: TrainingMode,
    readonly layout: BuildLayout = {},
  ) {}

  /**
   * Whether blocks may emit onnxruntime's fused `com.microsoft` kernels (attention, skip layer
   * norm) instead of their decomposition: in inference graphs yes; training graphs keep the
   * decomposed ops, which autodiff has gradient rules for.
   */
  get fusedKernels(): boolean {
    return this.training === undefined;
  }

  /** A context whose names are relative to `prefix` below this one (a trailing dot is added). */
  at(prefix: string): BuildContext {
    return new BuildContext(this.g, this.weights, `${this.prefix}${prefix}.`, this.dtype, this.training, this.layout);
  }

  /** The float32 data of a weight (for quantizing or transforming it), shape-checked. */
  read(name: string, shape: readonly number[]): Float32Array {
    const trained = this.trainedName(name);
    if (trained !== undefined) {
      throw new VedError(
        'INVALID_OPTION',
        `Weight "${trained}" is trained, so its values cannot be read when the graph is built (quantized weights cannot be trained; train in fp32).`,
      );
    }
    return this.weights.get(this.fullName(name), shape);
  }

  /** The stored name of a weight this training graph trains, else undefined. */
  private trainedName(name: string): string | undefined {
    if (this.training === undefined) return undefined;
    const stored = this.weights.resolve(this.fullName(name));
    return stored !== undefined && this.training.trainable(stored) ? stored : undefined;
  }

  /** The full checkpoint name of a relative weight name. */
  fullName(name: string): string {
    return `${this.prefix}${name}`;
  }

  has(name: string): boolean {
    return this.weights.has(this.fullName(name));
  }

  /** A weight as stored, checked against `shape` (a graph input when it is trained). */
  weight(name: string, shape: readonly number[]): string {
    const full = this.fullName(name);
    const trained = this.trainedName(name);
    if (trained !== undefined) {
      this.weights.get(full, shape); // shape check
      return this.training!.parameter(trained, shape);
    }
    if (this.g.hasInitializer(full)) return full;
    return this.g.initializer(full, 'float32', shape, this.weights.getForGraph(full, shape));
  }

  /** The weight of a language-model head: `weight`, or its own initializer (see `BuildLayout.ownHeadWeights`). */
  headWeight(name: string, shape: readonly number[]): string {
    if (!this.layout.ownHeadWeights || this.trainedName(name) !== undefined) return this.weight(name, shape);
    const full = this.fullName(name);
    const own = `${full}.lm_head`;
    if (this.g.hasInitializer(own)) return own;
    const data = this.weights.getForGraph(full, shape);
    // Weights in memory (converted, or the browser's) are one copy either way: shared.
    if (ArrayBuffer.isView(data)) return this.g.hasInitializer(full) ? full : this.g.initializer(full, 'float32', shape, data);
    return this.g.initializer(own, 'float32', shape, data);
  }

  /**
   * A weight transformed once at build time (e.g. transposed), stored under
   * `full + tag`. A trained weight changes every step, so training graphs
   * apply `inGraph` (the same transform as graph ops) to the weight's input
   * instead; without it such a weight cannot be trained.
   */
  derived(
    name: string,
    shape: readonly number[],
    tag: string,
    outShape: readonly number[],
    fn: (w: Float32Array) => Float32Array,
    inGraph?: (g: GraphBuilder, weight: string) => string,
  ): string {
    const full = this.fullName(name);
    const trained = this.trainedName(name);
    if (trained !== undefined) {
      if (inGraph === undefined) {
        throw new VedError('INVALID_OPTION', `Weight "${trained}" is transformed when the graph is built and has no graph form, so it cannot be trained; freeze it.`);
      }
      return inGraph(this.g, this.weight(name, shape));
    }
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
