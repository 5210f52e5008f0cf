/**
 * `json.dumps(value, indent=2, sort_keys=True)` as Python writes it, so files
 * ved saves (e.g. `model.safetensors.index.json`) match transformers' byte for
 * byte: keys sorted by code point, non-ASCII escaped as `\uXXXX` (Python's
 * default `ensure_ascii=True`), `,` between items and `: ` after keys.
 *
 * Only the JSON that ved writes is supported: objects, arrays, strings,
 * booleans, null and integers (Python prints floats differently from JS).
 */
import { VedError } from '../errors.js';
import { compareCodePoints } from './json-value.js';

export function dumpsPythonJson(value: unknown, indent = 2): string {
  return dump(value, 0, indent, '$');
}

function dump(value: unknown, depth: number, indent: number, path: string): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return asciiString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new VedError('INVALID_INPUT', `Cannot write ${path} = ${value} as Python JSON: only integers are supported.`);
    }
    return String(value);
  }
  const inner = ' '.repeat(indent * (depth + 1));
  const outer = ' '.repeat(indent * depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item, i) => inner + dump(item, depth + 1, indent, `${path}[${i}]`));
    return `[\n${items.join(',\n')}\n${outer}]`;
  }
  if (typeof value === 'object') {
    const entries = value instanceof Map ? [...(value as Map<unknown, unknown>)] : Object.entries(value);
    if (entries.length === 0) return '{}';
    const items = entries
      .map(([key, item]) => {
        if (typeof key !== 'string') {
          throw new VedError('INVALID_INPUT', `Cannot write ${path} as Python JSON: key ${String(key)} is not a string.`);
        }
        return [key, item] as const;
      })
      .sort(([a], [b]) => compareCodePoints(a, b))
      .map(([key, item]) => `${inner}${asciiString(key)}: ${dump(item, depth + 1, indent, `${path}.${key}`)}`);
    return `{\n${items.join(',\n')}\n${outer}}`;
  }
  throw new VedError('INVALID_INPUT', `Cannot write ${path} as Python JSON: ${typeof value} values are not supported.`);
}

/** A JSON string literal with everything outside printable ASCII escaped, as Python's `ensure_ascii`. */
function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
