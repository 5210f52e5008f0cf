/**
 * `json.dumps(value, indent=2, sort_keys=True)` as Python writes it, so files
 * ved saves (`model.safetensors.index.json`, `config.json`) match transformers'
 * byte for byte: keys sorted by code point, non-ASCII escaped as `\uXXXX`
 * (Python's default `ensure_ascii=True`), `,` between items and `: ` after keys,
 * floats as Python's `repr` writes them (`4.0`, `1e-05`).
 *
 * JavaScript has one number type: a number that is not an integer is written as
 * a float; an integer is written as an int unless `floatKeys` names its key in
 * the object holding it (a field Python holds as a float: `mlp_ratio` 4.0).
 * Keys whose value is `undefined` are left out, as `JSON.stringify` leaves them.
 */
import { VedError } from '../errors.js';
import { compareCodePoints } from './json-value.js';

export interface PythonJsonOptions {
  /** The keys of `object` whose integral numbers Python holds as floats. */
  floatKeys?: (object: Readonly<Record<string, unknown>>) => ReadonlySet<string> | undefined;
}

export function dumpsPythonJson(value: unknown, indent = 2, options: PythonJsonOptions = {}): string {
  return dump(value, 0, indent, '$', false, options);
}

/**
 * `repr(float(x))` (CPython's `float_repr`, format 'r'): the shortest digits that read back as `x`, in
 * positional notation when 1e-4 <= |x| < 1e16 (with ".0" for an integral value), else `1.5e-05`.
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const sign = x < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  const point = exponent + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function dump(value: unknown, depth: number, indent: number, path: string, asFloat: boolean, options: PythonJsonOptions): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return asciiString(value);
  if (typeof value === 'number') {
    if (!asFloat && Number.isInteger(value)) return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
    return pythonFloat(value);
  }
  const inner = ' '.repeat(indent * (depth + 1));
  const outer = ' '.repeat(indent * depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item, i) => inner + dump(item ?? null, depth + 1, indent, `${path}[${i}]`, asFloat, options));
    return `[\n${items.join(',\n')}\n${outer}]`;
  }
  if (typeof value === 'object') {
    const entries = (value instanceof Map ? [...(value as Map<unknown, unknown>)] : Object.entries(value)).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return '{}';
    const floats = value instanceof Map ? undefined : options.floatKeys?.(value as Record<string, unknown>);
    const items = entries
      .map(([key, item]) => {
        if (typeof key !== 'string') {
          throw new VedError('INVALID_INPUT', `Cannot write ${path} as Python JSON: key ${String(key)} is not a string.`);
        }
        return [key, item] as const;
      })
      .sort(([a], [b]) => compareCodePoints(a, b))
      .map(([key, item]) => `${inner}${asciiString(key)}: ${dump(item, depth + 1, indent, `${path}.${key}`, floats?.has(key) ?? false, options)}`);
    return `{\n${items.join(',\n')}\n${outer}}`;
  }
  throw new VedError('INVALID_INPUT', `Cannot write ${path} as Python JSON: ${typeof value} values are not supported.`);
}

/** A JSON string literal with everything outside printable ASCII escaped, as Python's `ensure_ascii`. */
function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
