/**
 * The globals a pickle may name: exactly the default allowlist of torch's
 * `torch/_weights_only_unpickler.py` (`_get_allowed_globals`, torch 2.13),
 * with its module blocklist and the Python 2 renames it applies first
 * (`IMPORT_MAPPING` / `NAME_MAPPING` of `torch/_utils.py`). Any other global
 * is refused before anything is looked up.
 */

const TENSOR_TYPES = ['BFloat16', 'Bool', 'Byte', 'Char', 'Double', 'Float', 'Half', 'Int', 'Long', 'Short'];
const SPARSE_TENSOR_TYPES = ['BFloat16', 'Byte', 'Char', 'Double', 'Float', 'Half', 'Int', 'Long', 'Short'];
const STORAGE_TYPES = [...TENSOR_TYPES, 'ComplexDouble', 'ComplexFloat'];
const QUANTIZED_STORAGE_TYPES = ['QInt32', 'QInt8', 'QUInt2x4', 'QUInt4x2', 'QUInt8'];
const DTYPES = [
  'bfloat16', 'bits16', 'bits1x8', 'bits2x4', 'bits4x2', 'bits8', 'bool', 'complex128', 'complex32', 'complex64',
  'float16', 'float32', 'float4_e2m1fn_x2', 'float64', 'float8_e4m3fn', 'float8_e4m3fnuz', 'float8_e5m2',
  'float8_e5m2fnuz', 'float8_e8m0fnu', 'int16', 'int32', 'int64', 'int8', 'qint32', 'qint8', 'quint2x4', 'quint4x2',
  'quint8', 'uint16', 'uint32', 'uint64', 'uint8',
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((bits) => [`int${bits}`, `uint${bits}`]),
];
const REBUILD_FUNCTIONS = [
  '_rebuild_device_tensor_from_cpu_tensor', '_rebuild_device_tensor_from_numpy', '_rebuild_meta_tensor_no_storage',
  '_rebuild_nested_tensor', '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor',
  '_rebuild_sparse_tensor', '_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_wrapper_subclass',
];
const QSCHEMES = ['per_channel_affine', 'per_channel_affine_float_qparams', 'per_channel_symmetric', 'per_tensor_affine', 'per_tensor_symmetric'];

export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'collections.Counter',
  'torch.nn.parameter.Parameter',
  'torch.serialization._get_layout',
  'torch.Size',
  'torch.Tensor',
  'torch.device',
  '_codecs.encode',
  'builtins.bytearray',
  'builtins.set',
  'builtins.complex',
  ...DTYPES.map((d) => `torch.${d}`),
  ...TENSOR_TYPES.flatMap((t) => [`torch.${t}Tensor`, `torch.cuda.${t}Tensor`]),
  ...SPARSE_TENSOR_TYPES.flatMap((t) => [`torch.sparse.${t}Tensor`, `torch.cuda.sparse.${t}Tensor`]),
  ...STORAGE_TYPES.flatMap((t) => [`torch.${t}Storage`, `torch.cuda.${t}Storage`]),
  ...QUANTIZED_STORAGE_TYPES.map((t) => `torch.${t}Storage`),
  'torch.storage.TypedStorage',
  'torch.storage.UntypedStorage',
  ...QSCHEMES.map((q) => `torch.${q}`),
  ...REBUILD_FUNCTIONS.map((f) => `torch._utils.${f}`),
  'torch._tensor._rebuild_from_type_v2',
]);

/** Modules torch never allows, even when a user allowlists a name in them. */
export const BLOCKED_MODULES: ReadonlySet<string> = new Set(['sys', 'os', 'posix', 'nt']);

const IMPORT_MAPPING: Readonly<Record<string, string>> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  Queue: 'queue',
  repr: 'reprlib',
  _abcoll: 'collections.abc',
  UserDict: 'collections',
  UserList: 'collections',
  UserString: 'collections',
  whichdb: 'dbm',
  StringIO: 'io',
  cStringIO: 'io',
};

const NAME_MAPPING: Readonly<Record<string, readonly [string, string]>> = {
  '__builtin__ xrange': ['builtins', 'range'],
  '__builtin__ reduce': ['functools', 'reduce'],
  '__builtin__ intern': ['sys', 'intern'],
  '__builtin__ unichr': ['builtins', 'chr'],
  '__builtin__ unicode': ['builtins', 'str'],
  '__builtin__ long': ['builtins', 'int'],
  'itertools izip': ['builtins', 'zip'],
  'itertools imap': ['builtins', 'map'],
  'itertools ifilter': ['builtins', 'filter'],
  'itertools ifilterfalse': ['itertools', 'filterfalse'],
  'itertools izip_longest': ['itertools', 'zip_longest'],
  'UserDict IterableUserDict': ['collections', 'UserDict'],
  'UserList UserList': ['collections', 'UserList'],
  'UserString UserString': ['collections', 'UserString'],
  '__builtin__ basestring': ['builtins', 'str'],
  'exceptions StandardError': ['builtins', 'Exception'],
  'UserDict UserDict': ['collections', 'UserDict'],
};

/** `_read_global_instruction`'s renames: Python 2 names to Python 3 ones. */
export function mapGlobal(module: string, name: string): { module: string; name: string } {
  const renamed = Object.hasOwn(NAME_MAPPING, `${module} ${name}`) ? NAME_MAPPING[`${module} ${name}`] : undefined;
  if (renamed !== undefined) return { module: renamed[0], name: renamed[1] };
  if (Object.hasOwn(IMPORT_MAPPING, module)) return { module: IMPORT_MAPPING[module]!, name };
  return { module, name };
}
