/**
 * Binds checkpoint tensors to graph initializers by their Hugging Face names,
 * checking shapes and applying the loader rules of the reference (legacy
 * `LayerNorm.gamma/beta` names; tied heads resolved by the architecture).
 */
import { VedError } from '../errors.js';
import type { TensorSource } from '../safetensors/index.js';
import type { SeededRandom } from '../random/seeded-random.js';

/** How a freshly created weight is initialised (mirrors each architecture's `_init_weights`). */
export type InitRule =
  | { kind: 'normal'; std: number }
  /** `trunc_normal_(std)`: N(0, std) redrawn outside the absolute bounds [a, b] (default ±2). */
  | { kind: 'truncNormal'; std: number; a?: number; b?: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** Anything else (sinusoidal tables, zeroed padding rows…); `rng` is the model's seeded generator. */
  | { kind: 'custom'; fill: (data: Float32Array, rng: SeededRandom) => void };

/** A weight an architecture expects, by its name relative to the architecture's root. */
export interface WeightSpec {
  name: string;
  shape: number[];
  init: InitRule;
}

const LEGACY_SUFFIXES: Array<[string, string]> = [
  ['.weight', '.gamma'],
  ['.bias', '.beta'],
];

export class WeightBinder {
  private readonly used = new Set<string>();

  constructor(
    private readonly source: TensorSource,
    /** Told the size of every float32 read `get` makes (the caller may free memory as reads pile up). */
    private readonly onRead?: (bytes: number) => void,
  ) {}

  /** The checkpoint name under which `name` is stored, accounting for legacy names, or undefined. */
  resolve(name: string): string | undefined {
    if (this.source.has(name)) return name;
    for (const [modern, legacy] of LEGACY_SUFFIXES) {
      if (name.endsWith(modern)) {
        const alt = name.slice(0, -modern.length) + legacy;
        if (this.source.has(alt)) return alt;
      }
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.resolve(name) !== undefined;
  }

  /**
   * The tensor for a graph initializer: its location on disk when the runtime
   * can read it there (F32 as stored), else the float32 data. Shape-checked.
   */
  getForGraph(name: string, shape: readonly number[]): Float32Array | { file: string; offset: number; length: number } {
    const stored = this.resolve(name);
    const location = stored === undefined ? undefined : this.source.external?.(stored);
    if (location === undefined) return this.get(name, shape);
    this.check(stored!, shape);
    this.used.add(stored!);
    return location;
  }

  /** Reads a float32 tensor and checks its shape. */
  get(name: string, shape: readonly number[]): Float32Array {
    const stored = this.resolve(name);
    if (stored === undefined) {
      throw new VedError(
        'MISSING_WEIGHT',
        `Weight "${name}" (shape [${shape.join(', ')}]) is missing from the checkpoint${this.describeSource()}.`,
      );
    }
    this.check(stored, shape);
    this.used.add(stored);
    const data = this.source.getFloat32(stored);
    this.onRead?.(data.byteLength);
    return data;
  }

  private check(stored: string, shape: readonly number[]): void {
    const info = this.source.info(stored);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new VedError(
        'WEIGHT_SHAPE_MISMATCH',
        `Weight "${stored}" in ${this.source.sourceOf(stored)} has shape [${info.shape.join(', ')}], ` +
          `but the config expects [${shape.join(', ')}].`,
      );
    }
  }

  /** Checkpoint tensors that no graph asked for (e.g. an unused pooler). */
  unused(): string[] {
    return this.source.names().filter((n) => !this.used.has(n));
  }

  private describeSource(): string {
    const names = this.source.names();
    const first = names[0];
    return first === undefined ? ' (which holds no tensors)' : ` (${this.source.sourceOf(first)})`;
  }
}
