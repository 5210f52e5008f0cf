/**
 * Tensor sources that live in memory: freshly initialised weights, and a
 * union of sources under renamed prefixes (an encoder checkpoint under
 * `encoder.`, a decoder checkpoint under `decoder.`, new weights on top).
 */
import { VedError } from '../errors.js';
import type { TensorInfo, TensorSource } from '../safetensors/index.js';

export class InMemoryTensors implements TensorSource {
  private readonly tensors = new Map<string, { shape: number[]; data: Float32Array }>();

  constructor(readonly label = 'memory') {}

  set(name: string, shape: readonly number[], data: Float32Array): void {
    const numel = shape.reduce((a, b) => a * b, 1);
    if (data.length !== numel) {
      throw new VedError('WEIGHT_SHAPE_MISMATCH', `Tensor "${name}" has ${data.length} values but shape [${shape.join(', ')}] needs ${numel}.`);
    }
    this.tensors.set(name, { shape: [...shape], data });
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    return { dtype: 'F32', shape: this.get(name).shape };
  }

  getFloat32(name: string): Float32Array {
    return this.get(name).data;
  }

  sourceOf(): string {
    return this.label;
  }

  private get(name: string) {
    const t = this.tensors.get(name);
    if (t === undefined) throw new VedError('MISSING_WEIGHT', `Tensor "${name}" is not in ${this.label}.`);
    return t;
  }
}

/** One entry of a union: `source`'s tensor `from + rest` appears as `to + rest`. */
export interface Mount {
  source: TensorSource;
  /** Prefix inside the source ('' for all). */
  from: string;
  /** Prefix in the union. */
  to: string;
  /** Keep only union names this accepts. */
  filter?: (name: string) => boolean;
}

/** A read-only union of mounted sources; the first mount that has a name wins. */
export class TensorUnion implements TensorSource {
  private readonly index = new Map<string, { source: TensorSource; name: string }>();

  constructor(mounts: readonly Mount[]) {
    for (const m of mounts) {
      for (const name of m.source.names()) {
        if (!name.startsWith(m.from)) continue;
        const mapped = m.to + name.slice(m.from.length);
        if (m.filter && !m.filter(mapped)) continue;
        if (!this.index.has(mapped)) this.index.set(mapped, { source: m.source, name });
      }
    }
  }

  names(): string[] {
    return [...this.index.keys()];
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  info(name: string): TensorInfo {
    const e = this.entry(name);
    return e.source.info(e.name);
  }

  getFloat32(name: string): Float32Array {
    const e = this.entry(name);
    return e.source.getFloat32(e.name);
  }

  sourceOf(name: string): string {
    const e = this.index.get(name);
    return e === undefined ? 'the composed model' : e.source.sourceOf(e.name);
  }

  external(name: string): { file: string; offset: number; length: number } | undefined {
    const e = this.entry(name);
    return e.source.external?.(e.name);
  }

  private entry(name: string) {
    const e = this.index.get(name);
    if (e === undefined) throw new VedError('MISSING_WEIGHT', `Tensor "${name}" is not in the composed model.`);
    return e;
  }
}
