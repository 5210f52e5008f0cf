/**
 * A restricted unpickler: the opcode machine of torch's
 * `torch/_weights_only_unpickler.py` (`Unpickler.load`), which is what
 * `torch.load(weights_only=True)` runs. It accepts the same opcodes (protocol
 * 2's subset a state dict needs) and the same globals (`allowed-globals.ts`),
 * and runs nothing: a global is only a name, and what an allowlisted call
 * means (build a tensor, an OrderedDict) is decided by the caller's `hooks`.
 * Every other opcode (STACK_GLOBAL, INST, OBJ, EXT1/2/4, BINBYTES, FRAME, …)
 * and every other global is refused with an `UNSAFE_PICKLE` VedError naming it.
 *
 * Why not an npm pickle parser: the one maintained parser (pickleparser)
 * implements every opcode of protocols 0–5 and resolves globals and
 * APPEND/BUILD on any object; restricting it to torch's subset would mean
 * rewriting its dispatch loop, which is this file.
 */
import { VedError } from '../../errors.js';
import { ALLOWED_GLOBALS, BLOCKED_MODULES, mapGlobal } from './allowed-globals.js';
import { PyDict, PyGlobal, PySet, PyTuple, asInt, pythonTypeName, type PyValue } from './values.js';

/** What allowlisted calls mean: supplied by the torch layer. */
export interface UnpicklerHooks {
  /** REDUCE of an allowlisted global with its argument tuple. */
  call(fn: PyGlobal, args: readonly PyValue[]): PyValue;
  /** NEWOBJ (`cls.__new__(cls, *args)`) of an allowlisted class. */
  newObject(cls: PyGlobal, args: readonly PyValue[]): PyValue;
  /** BUILD on an object whose type torch allows it for (OrderedDict and the allowlisted types). */
  build(target: PyValue, state: PyValue): void;
  /** BINPERSID: `pid` is a tuple whose first item is "storage" (or an int). */
  persistentLoad(pid: PyValue): PyValue;
}

export interface UnpickleOptions {
  /** Shown in messages, e.g. `pytorch_model.bin:archive/data.pkl`. */
  readonly source: string;
  readonly hooks: UnpicklerHooks;
}

const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  SHORT_BINSTRING: 0x55, // U
  BINUNICODE: 0x58, // X
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  EMPTY_LIST: 0x5d, // ]
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  EMPTY_SET: 0x8f,
} as const;

/** Names of the opcodes torch refuses, for messages (CPython's `pickletools` names). */
const REFUSED_NAMES: Readonly<Record<number, string>> = {
  0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4c: 'LONG', 0x50: 'PERSID',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x56: 'UNICODE', 0x64: 'DICT', 0x67: 'GET', 0x69: 'INST', 0x6c: 'LIST',
  0x6f: 'OBJ', 0x70: 'PUT', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x90: 'ADDITEMS',
  0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Unpickles `bytes` under torch's weights-only rules. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  try {
    return new Machine(bytes, options).run();
  } catch (error) {
    if (error instanceof VedError) throw error;
    // Deep nesting overflowing the JavaScript stack, or an allocation failing.
    throw new VedError('INVALID_CHECKPOINT', `${options.source}: the pickle cannot be read (${(error as Error).message}).`, { cause: error });
  }
}

class Machine {
  private at = 0;
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PyValue {
    const { hooks } = this.options;
    for (;;) {
      const opAt = this.at;
      const op = this.take(1)[0]!;
      switch (op) {
        case OP.GLOBAL:
          this.push(this.global());
          break;
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          if (!(cls instanceof PyGlobal)) throw this.unsafe(`NEWOBJ of ${pythonTypeName(cls)}: only allowlisted classes can be created`, opAt);
          if (!(args instanceof PyTuple)) throw this.invalid(`NEWOBJ arguments are a ${pythonTypeName(args)}, not a tuple`, opAt);
          this.push(hooks.newObject(cls, args.items));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const fn = this.top();
          if (!(fn instanceof PyGlobal)) {
            throw this.unsafe(`REDUCE calls a ${pythonTypeName(fn)}, not an allowlisted function ("Trying to call reduce for unrecognized function")`, opAt);
          }
          if (!(args instanceof PyTuple)) throw this.invalid(`REDUCE arguments are a ${pythonTypeName(args)}, not a tuple`, opAt);
          this.stack[this.stack.length - 1] = hooks.call(fn, args.items);
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          hooks.build(this.top(), state);
          break;
        }
        case OP.APPEND: {
          const item = this.pop();
          this.list('APPEND', opAt).push(item);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark(opAt);
          const list = this.list('APPENDS', opAt);
          for (const item of items) list.push(item);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.dict('SETITEM', opAt).set(key, value);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark(opAt);
          const dict = this.dict('SETITEMS', opAt);
          if (items.length % 2 !== 0) throw this.invalid(`SETITEMS has an odd number (${items.length}) of keys and values`, opAt);
          for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
          break;
        }
        case OP.MARK:
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case OP.TUPLE:
          this.push(new PyTuple(this.popMark(opAt)));
          break;
        case OP.TUPLE1:
          this.push(new PyTuple([this.pop()]));
          break;
        case OP.TUPLE2: {
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b]));
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b, c]));
          break;
        }
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.EMPTY_TUPLE:
          this.push(new PyTuple([]));
          break;
        case OP.EMPTY_LIST:
          this.push([]);
          break;
        case OP.EMPTY_DICT:
          this.push(new PyDict('builtins.dict'));
          break;
        case OP.EMPTY_SET:
          this.push(new PySet());
          break;
        case OP.BININT:
          this.take(4);
          this.push(this.view.getInt32(this.at - 4, true));
          break;
        case OP.BININT1:
          this.push(this.take(1)[0]!);
          break;
        case OP.BININT2:
          this.take(2);
          this.push(this.view.getUint16(this.at - 2, true));
          break;
        case OP.BINFLOAT:
          this.take(8);
          this.push(this.view.getFloat64(this.at - 8, false));
          break;
        case OP.BINUNICODE: {
          this.take(4);
          const length = this.view.getUint32(this.at - 4, true);
          this.push(this.text(this.take(length), opAt));
          break;
        }
        case OP.SHORT_BINSTRING:
          // torch.load decodes protocol-2 byte strings with its `encoding` ("utf-8").
          this.push(this.text(this.take(this.take(1)[0]!), opAt));
          break;
        case OP.BINPERSID: {
          const pid = this.pop();
          const isStorage = pid instanceof PyTuple && pid.items.length > 0 && (pid.items[0] === 'storage' || isAsciiStorage(pid.items[0]!));
          if (!(pid instanceof PyTuple) && asInt(pid) === undefined) {
            throw this.unsafe(`persistent_load id must be tuple or int, but got ${pythonTypeName(pid)}`, opAt);
          }
          if (pid instanceof PyTuple && pid.items.length > 0 && !isStorage) {
            throw this.unsafe(`only persistent_load of storage is allowed, but got ${JSON.stringify(describe(pid.items[0]!))}`, opAt);
          }
          this.push(hooks.persistentLoad(pid));
          break;
        }
        case OP.BINGET:
        case OP.LONG_BINGET: {
          const index = op === OP.BINGET ? this.take(1)[0]! : this.u32();
          if (!this.memo.has(index)) throw this.invalid(`memo slot ${index} is read before it is written`, opAt);
          this.push(this.memo.get(index)!);
          break;
        }
        case OP.BINPUT:
        case OP.LONG_BINPUT: {
          const index = op === OP.BINPUT ? this.take(1)[0]! : this.u32();
          this.memo.set(index, this.top());
          break;
        }
        case OP.LONG1:
          this.push(decodeLong(this.take(this.take(1)[0]!)));
          break;
        case OP.PROTO:
          this.take(1);
          break;
        case OP.STOP:
          return this.pop();
        default: {
          const name = REFUSED_NAMES[op];
          throw this.unsafe(
            name !== undefined
              ? `opcode ${name} (0x${op.toString(16)}) is not allowed by torch's weights-only unpickler`
              : `unknown opcode 0x${op.toString(16)}`,
            opAt,
          );
        }
      }
    }
  }

  /** GLOBAL: two newline-terminated names; only allowlisted ones become values. */
  private global(): PyGlobal {
    const opAt = this.at - 1;
    const raw = mapGlobal(this.line(opAt), this.line(opAt));
    const path = `${raw.module}.${raw.name}`;
    if (BLOCKED_MODULES.has(raw.module)) {
      throw this.unsafe(`GLOBAL ${path} is refused: module ${raw.module} is blocked`, opAt);
    }
    if (!ALLOWED_GLOBALS.has(path)) {
      throw this.unsafe(`GLOBAL ${path} is not an allowed global (torch.load(weights_only=True) refuses it too)`, opAt);
    }
    return new PyGlobal(path);
  }

  private line(opAt: number): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    if (end < 0) throw this.invalid('GLOBAL is not followed by a newline-terminated name (the pickle is truncated)', opAt);
    const text = this.text(this.bytes.subarray(this.at, end), opAt);
    this.at = end + 1;
    return text;
  }

  private text(bytes: Uint8Array, opAt: number): string {
    try {
      return utf8.decode(bytes);
    } catch {
      throw this.invalid('a string is not valid UTF-8', opAt);
    }
  }

  private take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) {
      throw this.invalid(`it ends at byte ${this.bytes.length} in the middle of an opcode (the pickle is truncated)`, this.at);
    }
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  private u32(): number {
    this.take(4);
    return this.view.getUint32(this.at - 4, true);
  }

  private push(value: PyValue): void {
    this.stack.push(value);
  }

  private pop(): PyValue {
    if (this.stack.length === 0) throw this.invalid('an opcode pops from an empty stack', this.at - 1);
    return this.stack.pop()!;
  }

  private top(): PyValue {
    if (this.stack.length === 0) throw this.invalid('an opcode reads an empty stack', this.at - 1);
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(opAt: number): PyValue[] {
    const items = this.stack;
    const outer = this.metastack.pop();
    if (outer === undefined) throw this.invalid('an opcode needs a MARK that was never set', opAt);
    this.stack = outer;
    return items;
  }

  private list(op: string, opAt: number): PyValue[] {
    const target = this.top();
    if (!Array.isArray(target)) throw this.unsafe(`can only ${op} to lists, but got ${pythonTypeName(target)}`, opAt);
    return target;
  }

  private dict(op: string, opAt: number): PyDict {
    const target = this.top();
    if (!(target instanceof PyDict)) {
      throw this.unsafe(`can only ${op} for dict, collections.OrderedDict, collections.Counter, but got ${pythonTypeName(target)}`, opAt);
    }
    return target;
  }

  private unsafe(detail: string, at: number): VedError {
    return new VedError('UNSAFE_PICKLE', `${this.options.source}: refused at byte ${at}: ${detail}. Nothing in it was run.`);
  }

  private invalid(detail: string, at: number): VedError {
    return new VedError('INVALID_CHECKPOINT', `${this.options.source} is not a valid pickle at byte ${at}: ${detail}.`);
  }
}

function isAsciiStorage(value: PyValue): boolean {
  return value instanceof Uint8Array && value.length === 7 && String.fromCharCode(...value) === 'storage';
}

function describe(value: PyValue): string {
  return typeof value === 'string' ? value : pythonTypeName(value);
}

/** Python's `pickle.decode_long`: little-endian two's complement. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
