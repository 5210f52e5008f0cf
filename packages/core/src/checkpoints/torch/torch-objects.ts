/**
 * What the allowlisted globals of a torch checkpoint mean, as plain data: the
 * semantics of `torch/_utils.py`'s `_rebuild_tensor_v2` & co., of
 * `OrderedDict`, `torch.Size`, `torch.device`, and of BUILD, for the
 * restricted unpickler. Nothing here touches tensor bytes: a tensor is a view
 * (offset, shape, stride) of a storage that the archive serves later.
 */
import { VedError } from '../../errors.js';
import type { SafetensorsDtype } from '../../safetensors/dtype.js';
import type { UnpicklerHooks } from '../pickle/unpickler.js';
import { PyDict, PyGlobal, PyObject, PySet, PyTuple, asInt, pythonTypeName, type PyValue } from '../pickle/values.js';

/** Legacy storage classes (and untyped storage) to the element type ved reads them as. */
const STORAGE_DTYPES: Readonly<Record<string, SafetensorsDtype>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** `torch.<dtype>` globals (as `_rebuild_tensor_v3` and `_rebuild_device_tensor_*` pass them). */
const DTYPE_GLOBALS: Readonly<Record<string, SafetensorsDtype>> = {
  'torch.float64': 'F64',
  'torch.float32': 'F32',
  'torch.float16': 'F16',
  'torch.bfloat16': 'BF16',
  'torch.int64': 'I64',
  'torch.int32': 'I32',
  'torch.int16': 'I16',
  'torch.int8': 'I8',
  'torch.uint8': 'U8',
  'torch.bool': 'BOOL',
};

/** A storage named by the pickle (`('storage', type, key, location, numel)`), served from `data/<key>`. */
export class StorageRef extends PyObject {
  readonly pythonType = 'torch.storage.TypedStorage';
  constructor(
    readonly key: string,
    readonly dtype: SafetensorsDtype,
    /** Elements (bytes for an untyped storage). */
    readonly numel: number,
    readonly untyped: boolean,
  ) {
    super();
  }
}

/** A tensor: a strided view of a storage. */
export class TensorRef extends PyObject {
  pythonType: string = 'torch.Tensor';
  constructor(
    readonly storage: StorageRef,
    readonly dtype: SafetensorsDtype,
    /** In elements of `dtype`. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    super();
  }
}

class DeviceRef extends PyObject {
  readonly pythonType = 'torch.device';
  constructor(readonly device: string) {
    super();
  }
}

class ComplexValue extends PyObject {
  readonly pythonType = 'builtins.complex';
}

export interface TorchHooksContext {
  /** Shown in messages. */
  readonly source: string;
  /** Called once per persistent id: validates the storage against the archive (size, dtype). */
  storage(key: string, dtype: SafetensorsDtype, numel: number, untyped: boolean): StorageRef;
}

/** The hooks that give the allowlisted globals their meaning. */
export function torchHooks(context: TorchHooksContext): UnpicklerHooks {
  const unsupported = (what: string) =>
    new VedError(
      'UNSUPPORTED_CHECKPOINT',
      `${context.source} uses ${what}, which torch.load(weights_only=True) allows but ved does not read ` +
        `(ved reads dense CPU/GPU tensors of float64/32/16, bfloat16, int64/32/16/8, uint8 and bool). ` +
        `Re-save the state dict with plain tensors, e.g. as safetensors.`,
    );
  const invalid = (detail: string) => new VedError('INVALID_CHECKPOINT', `${context.source}: ${detail}.`);
  const storages = new Map<string, StorageRef>();

  return {
    persistentLoad(pid: PyValue): PyValue {
      if (!(pid instanceof PyTuple) || pid.items.length !== 5) {
        throw invalid(`a persistent id is ${pythonTypeName(pid)}${pid instanceof PyTuple ? ` of ${pid.items.length} items` : ''}, expected ('storage', storage_type, key, location, numel)`);
      }
      const [, type, key, , numelValue] = pid.items;
      if (!(type instanceof PyGlobal)) throw invalid(`a storage's type is ${pythonTypeName(type!)}, expected a storage class`);
      if (typeof key !== 'string') throw invalid(`a storage key is ${pythonTypeName(key!)}, expected a string`);
      const numel = asInt(numelValue!);
      if (numel === undefined || numel < 0) throw invalid(`storage ${JSON.stringify(key)} has ${String(numelValue)} elements`);
      const className = type.path.slice(type.path.lastIndexOf('.') + 1);
      const untyped = type.path === 'torch.storage.UntypedStorage';
      const dtype = untyped ? 'U8' : STORAGE_DTYPES[className];
      if (dtype === undefined) {
        if (type.path.endsWith('Storage')) {
          throw new VedError('UNSUPPORTED_DTYPE', `${context.source}: storage ${JSON.stringify(key)} is a ${type.path}, whose element type ved does not read; supported: ${Object.keys(STORAGE_DTYPES).join(', ')}.`);
        }
        throw invalid(`persistent id names ${type.path} as a storage type`);
      }
      const cached = storages.get(key);
      if (cached !== undefined) {
        if (cached.dtype !== dtype || cached.numel !== numel) throw invalid(`storage ${JSON.stringify(key)} is described twice, differently`);
        return cached;
      }
      const storage = context.storage(key, dtype, numel, untyped);
      storages.set(key, storage);
      return storage;
    },

    call(fn: PyGlobal, args: readonly PyValue[]): PyValue {
      switch (fn.path) {
        case 'collections.OrderedDict':
        case 'collections.Counter':
          return dictFrom(fn.path, args, invalid);
        case 'builtins.set': {
          const set = new PySet();
          if (args.length === 1 && Array.isArray(args[0])) for (const item of args[0]) set.add(item);
          else if (args.length !== 0) throw invalid(`set() is called with ${args.length} arguments`);
          return set;
        }
        case 'torch.Size': {
          const dims = args[0];
          if (args.length !== 1 || !(dims instanceof PyTuple || Array.isArray(dims))) throw invalid('torch.Size is called without a tuple of sizes');
          return new PyTuple(dims instanceof PyTuple ? dims.items : dims);
        }
        case 'torch.device':
          if (typeof args[0] !== 'string') throw invalid('torch.device is called without a device name');
          return new DeviceRef(args[0]);
        case '_codecs.encode':
        case 'builtins.bytearray':
          return encodeBytes(fn.path, args, invalid);
        case 'builtins.complex':
          return new ComplexValue();
        case 'torch.serialization._get_layout':
          if (args[0] !== 'torch.strided') throw unsupported(`the tensor layout ${JSON.stringify(args[0])}`);
          return new PyGlobal('torch.strided');
        case 'torch._utils._rebuild_tensor':
        case 'torch._utils._rebuild_tensor_v2':
        case 'torch._utils._rebuild_tensor_v3':
          return rebuildTensor(fn.path, args, invalid);
        case 'torch._utils._rebuild_parameter':
        case 'torch._utils._rebuild_parameter_with_state': {
          const data = args[0];
          if (!(data instanceof TensorRef)) throw invalid(`${fn.path} is called with a ${pythonTypeName(data ?? null)}, not a tensor`);
          data.pythonType = 'torch.nn.parameter.Parameter';
          return data;
        }
        case 'torch._tensor._rebuild_from_type_v2': {
          // _rebuild_from_type_v2(func, new_type, args, state): func(*args), as new_type, with state.
          const [inner, newType, innerArgs, state] = args;
          if (!(inner instanceof PyGlobal) || !(innerArgs instanceof PyTuple)) throw invalid('_rebuild_from_type_v2 is called without a function and its arguments');
          if (!(newType instanceof PyGlobal) || (newType.path !== 'torch.Tensor' && newType.path !== 'torch.nn.parameter.Parameter')) {
            throw unsupported(`a tensor subclass (${newType instanceof PyGlobal ? newType.path : pythonTypeName(newType ?? null)})`);
          }
          if (!isEmptyState(state ?? null)) throw unsupported('a tensor with pickled Python attributes');
          return this.call(inner, innerArgs.items);
        }
        case 'torch.nn.parameter.Parameter':
          return parameterFrom(args, invalid);
        default:
          throw unsupported(fn.path);
      }
    },

    newObject(cls: PyGlobal, args: readonly PyValue[]): PyValue {
      switch (cls.path) {
        case 'torch.nn.parameter.Parameter':
          return parameterFrom(args, invalid);
        case 'collections.OrderedDict':
        case 'collections.Counter':
          return new PyDict(cls.path);
        case 'builtins.set':
          return new PySet();
        default:
          throw unsupported(`${cls.path}.__new__`);
      }
    },

    build(target: PyValue, state: PyValue): void {
      if (target instanceof PyDict && target.type === 'collections.OrderedDict') {
        // inst.__dict__.update(state): an OrderedDict's attributes (state_dict's `_metadata`).
        if (!(state instanceof PyDict)) throw invalid(`BUILD gives an OrderedDict a ${pythonTypeName(state)} as its attributes`);
        for (const [key, value] of state.entries.values()) if (typeof key === 'string') target.attributes.set(key, value);
        return;
      }
      const type = pythonTypeName(target);
      const allowed = target instanceof TensorRef || (target instanceof PyDict && target.type === 'collections.Counter') || target instanceof PySet || target instanceof DeviceRef || target instanceof ComplexValue;
      if (!allowed) {
        throw new VedError('UNSAFE_PICKLE', `${context.source}: refused: BUILD on a ${type}; torch can only build Tensor, Parameter, OrderedDict or allowlisted types. Nothing in it was run.`);
      }
      if (!isEmptyState(state)) throw unsupported(`BUILD with state on a ${type}`);
    },
  };
}

function dictFrom(type: 'collections.OrderedDict' | 'collections.Counter', args: readonly PyValue[], invalid: (d: string) => VedError): PyDict {
  const dict = new PyDict(type);
  if (args.length === 0) return dict;
  const items = args[0];
  if (args.length !== 1 || !Array.isArray(items)) throw invalid(`${type}() is called with ${args.length} arguments, expected none or a list of pairs`);
  for (const item of items) {
    if (!(item instanceof PyTuple) || item.items.length !== 2) throw invalid(`${type}() is given a ${pythonTypeName(item)} where a (key, value) pair belongs`);
    dict.set(item.items[0]!, item.items[1]!);
  }
  return dict;
}

function parameterFrom(args: readonly PyValue[], invalid: (d: string) => VedError): TensorRef {
  const data = args[0];
  if (!(data instanceof TensorRef)) throw invalid(`Parameter is created from a ${pythonTypeName(data ?? null)}, not a tensor`);
  data.pythonType = 'torch.nn.parameter.Parameter';
  return data;
}

function encodeBytes(path: string, args: readonly PyValue[], invalid: (d: string) => VedError): Uint8Array {
  const [text, encoding] = args;
  if (args.length === 0) return new Uint8Array(0);
  if (text instanceof Uint8Array) return text.slice();
  if (typeof text !== 'string') throw invalid(`${path} is called with a ${pythonTypeName(text ?? null)}`);
  const name = typeof encoding === 'string' ? encoding.toLowerCase().replace('_', '-') : 'utf-8';
  if (name === 'latin1' || name === 'latin-1' || name === 'iso-8859-1') {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) throw invalid(`${path}: a character above U+00FF cannot be latin1-encoded`);
      out[i] = code;
    }
    return out;
  }
  if (name === 'utf-8' || name === 'utf8' || name === 'ascii') return new TextEncoder().encode(text);
  throw invalid(`${path} asks for the ${JSON.stringify(encoding)} encoding; ved decodes latin1 and utf-8`);
}

function isEmptyState(state: PyValue): boolean {
  if (state === null) return true;
  if (state instanceof PyDict) return state.entries.size === 0;
  if (state instanceof PyTuple) return state.items.every(isEmptyState);
  return false;
}

function intList(value: PyValue | undefined, what: string, invalid: (d: string) => VedError): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (items === undefined) throw invalid(`${what} is a ${pythonTypeName(value ?? null)}, expected a tuple of ints`);
  return items.map((item) => {
    const n = asInt(item);
    if (n === undefined) throw invalid(`${what} holds a ${pythonTypeName(item)}, expected ints`);
    return n;
  });
}

/**
 * `_rebuild_tensor(storage, offset, size, stride)`, `_v2` (+ requires_grad,
 * hooks, metadata) and `_v3` (+ dtype, for untyped storages): a view, checked
 * to lie inside its storage.
 */
function rebuildTensor(path: string, args: readonly PyValue[], invalid: (d: string) => VedError): TensorRef {
  const [storage, offsetValue, sizeValue, strideValue] = args;
  if (!(storage instanceof StorageRef)) throw invalid(`${path} is called with a ${pythonTypeName(storage ?? null)} where a storage belongs`);
  const minArgs = path.endsWith('_v3') ? 7 : path.endsWith('_v2') ? 6 : 4;
  if (args.length < minArgs) throw invalid(`${path} is called with ${args.length} arguments, expected at least ${minArgs}`);
  let dtype = storage.dtype;
  if (path.endsWith('_v3')) {
    const dtypeGlobal = args[6];
    const named = dtypeGlobal instanceof PyGlobal ? DTYPE_GLOBALS[dtypeGlobal.path] : undefined;
    if (named === undefined) {
      throw new VedError('UNSUPPORTED_DTYPE', `${path} asks for dtype ${dtypeGlobal instanceof PyGlobal ? dtypeGlobal.path : pythonTypeName(dtypeGlobal ?? null)}, which ved does not read.`);
    }
    if (!storage.untyped && named !== storage.dtype) throw invalid(`${path} reads a ${storage.dtype} storage as ${named}`);
    dtype = named;
  }
  const offset = asInt(offsetValue ?? null);
  if (offset === undefined || offset < 0) throw invalid(`${path}: the storage offset is ${String(offsetValue)}`);
  const shape = intList(sizeValue, 'a tensor size', invalid);
  const stride = intList(strideValue, 'a tensor stride', invalid);
  if (shape.length !== stride.length) throw invalid(`a tensor has size [${shape.join(', ')}] but stride [${stride.join(', ')}]`);
  if (shape.some((d) => d < 0) || stride.some((s) => s < 0)) throw invalid(`a tensor has negative sizes or strides ([${shape.join(', ')}] / [${stride.join(', ')}])`);
  const itemsize = ITEMSIZE[dtype];
  const storageElements = storage.untyped ? Math.floor(storage.numel / itemsize) : storage.numel;
  let numel = 1;
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    numel *= shape[i]!;
    last += (shape[i]! - 1) * stride[i]!;
  }
  if (!Number.isSafeInteger(numel * itemsize) || !Number.isSafeInteger(last)) throw invalid(`a tensor of size [${shape.join(', ')}] is too large`);
  if (numel > 0 && last >= storageElements) {
    throw invalid(`a tensor (offset ${offset}, size [${shape.join(', ')}], stride [${stride.join(', ')}]) reaches element ${last} of storage ${JSON.stringify(storage.key)}, which holds ${storageElements}`);
  }
  return new TensorRef(storage, dtype, offset, shape, stride);
}

export const ITEMSIZE: Readonly<Record<SafetensorsDtype, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
