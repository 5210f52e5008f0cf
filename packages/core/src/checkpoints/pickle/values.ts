/**
 * The Python values a restricted pickle can hold, as JavaScript values:
 * `None` → null, `bool` → boolean, `int` → number (bigint past 2^53),
 * `float` → number, `str` → string, `bytes` → Uint8Array, `list` → Array,
 * and the classes below for the types JavaScript lacks.
 */
import { VedError } from '../../errors.js';

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyObject;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** A `dict`, `collections.OrderedDict` or `collections.Counter`, in insertion order. */
export class PyDict {
  /** hash key → [key, value] */
  readonly entries = new Map<string, [PyValue, PyValue]>();
  /** Instance attributes set by BUILD (an OrderedDict's `_metadata`). */
  readonly attributes = new Map<string, PyValue>();
  constructor(readonly type: 'builtins.dict' | 'collections.OrderedDict' | 'collections.Counter') {}

  /** `d[key] = value`: an equal key already present keeps its first form (`d[1] = …; d[True] = …` → `{1: …}`). */
  set(key: PyValue, value: PyValue): void {
    const hash = hashKey(key);
    const existing = this.entries.get(hash);
    this.entries.set(hash, [existing === undefined ? key : existing[0], value]);
  }
}

export class PySet {
  readonly items = new Map<string, PyValue>();
  add(item: PyValue): void {
    this.items.set(hashKey(item), item);
  }
}

/** An allowlisted global (a class or function), by its dotted path. */
export class PyGlobal {
  constructor(readonly path: string) {}
}

/**
 * An object the torch layer builds from an allowlisted call (a tensor, a
 * storage, a `torch.device`): opaque to the unpickler.
 */
export abstract class PyObject {
  /** The Python type's dotted path, for messages and BUILD's checks. */
  abstract readonly pythonType: string;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/**
 * A string that is equal for two keys exactly when Python's dict would treat
 * them as the same key (`1 == 1.0 == True`); unhashable keys (list, dict,
 * set) throw as Python's `TypeError` does.
 */
export function hashKey(value: PyValue): string {
  if (value === null) return 'N';
  switch (typeof value) {
    case 'boolean':
      return value ? 'n:1' : 'n:0';
    case 'number':
      return `n:${Object.is(value, -0) ? 0 : value}`;
    case 'bigint':
      return Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value ? `n:${Number(value)}` : `n:${value}`;
    case 'string':
      return `s:${value}`;
  }
  if (value instanceof Uint8Array) return `b:${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  if (value instanceof PyTuple) return `t(${value.items.map(hashKey).join(',')})`;
  if (value instanceof PyGlobal) return `g:${value.path}`;
  if (value instanceof PyObject) {
    let id = identities.get(value);
    if (id === undefined) identities.set(value, (id = nextIdentity++));
    return `o:${id}`;
  }
  throw new VedError('INVALID_CHECKPOINT', `The pickle uses an unhashable ${pythonTypeName(value)} as a dict key or set item.`);
}

/** The Python type name of a value, for messages. */
export function pythonTypeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
  }
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyDict) return value.type === 'builtins.dict' ? 'dict' : value.type;
  if (value instanceof PySet) return 'set';
  if (value instanceof PyGlobal) return value.path;
  return value.pythonType;
}

/** A Python int as a JavaScript number, or undefined when it is not an int that fits. */
export function asInt(value: PyValue): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}
