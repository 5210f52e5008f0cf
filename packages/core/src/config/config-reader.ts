/**
 * Typed reads of Hugging Face config dicts with Python's defaults. A missing or
 * null field takes the default; a field of the wrong type is an error naming
 * the file, the field, what was found and what was expected.
 */
import { VedError } from '../errors.js';

export type RawConfig = Record<string, unknown>;

export function isRecord(v: unknown): v is RawConfig {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class ConfigReader {
  /** @param where where the dict comes from, e.g. `config.json "decoder"` */
  constructor(
    readonly raw: RawConfig,
    readonly where: string,
  ) {}

  private value(key: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.raw, key) ? this.raw[key] : undefined;
  }

  private fail(key: string, expected: string): never {
    throw new VedError(
      'INVALID_CONFIG',
      `${this.where}: field "${key}" is ${JSON.stringify(this.value(key))}, expected ${expected}.`,
    );
  }

  has(key: string): boolean {
    const v = this.value(key);
    return v !== undefined && v !== null;
  }

  int(key: string, fallback: number, min = -Infinity): number {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.fail(key, min === -Infinity ? 'an integer' : `an integer >= ${min}`);
    }
    return v;
  }

  optionalInt(key: string): number | undefined {
    return this.has(key) ? this.int(key, 0) : undefined;
  }

  float(key: string, fallback: number): number {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a finite number');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  string(key: string, fallback: string): string {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  /** An int, or a list of ints (token ids that may be several, like eos). */
  intOrIntList(key: string): number | number[] | undefined {
    const v = this.value(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return v as number[];
    this.fail(key, 'an integer or a list of integers');
  }

  intList(key: string, fallback: number[]): number[] {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) this.fail(key, 'a list of integers');
    return v as number[];
  }

  /** An int given either as a number or a [h, w] pair (e.g. `image_size`). */
  intPair(key: string, fallback: [number, number]): [number, number] {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0)) {
      return [v[0] as number, v[1] as number];
    }
    this.fail(key, 'a positive integer or a [height, width] pair');
  }

  /** A string that must be one of `supported` (an activation of `ACTIVATIONS`, …). */
  oneOf<T extends string>(key: string, fallback: T, supported: readonly T[]): T {
    const v = this.string(key, fallback);
    if (!(supported as readonly string[]).includes(v)) {
      throw new VedError('INVALID_CONFIG', `${this.where}: field "${key}" is ${JSON.stringify(v)}; supported: ${supported.join(', ')}.`);
    }
    return v as T;
  }

  /** Fails when a field holds a value ved cannot honour. */
  requireEqual(key: string, supported: unknown, fallback: unknown, reason: string): void {
    const v = this.value(key) ?? fallback;
    if (v !== supported) {
      throw new VedError(
        'INVALID_CONFIG',
        `${this.where}: field "${key}" is ${JSON.stringify(v)}; ved supports only ${JSON.stringify(supported)} (${reason}).`,
      );
    }
  }
}
