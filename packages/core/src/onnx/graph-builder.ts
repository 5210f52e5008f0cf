/**
 * A small builder for ONNX graphs, serialised with protobuf-es (`onnx-buf`'s
 * generated `onnx.proto` schema). Architectures describe their network with it;
 * ONNX Runtime optimises and runs the result.
 *
 * Values are plain strings (the ONNX value names). Weights become initializers
 * named after their Hugging Face checkpoint names, which keeps graphs readable
 * in Netron and lets large weights move to external data later.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';

export type ElementType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

const DATA_TYPE: Record<ElementType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  float64: TensorProto_DataType.DOUBLE,
  float16: TensorProto_DataType.FLOAT16,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  int8: TensorProto_DataType.INT8,
  uint8: TensorProto_DataType.UINT8,
  bool: TensorProto_DataType.BOOL,
};

/** A dimension: a fixed size or a symbolic name such as `"batch"`. */
export type Dim = number | string;

export type AttributeValue = number | string | number[] | bigint | bigint[] | { float: number } | { floats: number[] } | { tensor: TensorProto };

export interface OpOptions {
  /** Number of outputs (default 1). */
  outputs?: number;
  /** Operator domain, e.g. `com.microsoft`. */
  domain?: string;
  /** Explicit output names (otherwise generated). */
  names?: string[];
  /**
   * Gather only: the index whose lookups give the table no gradient (`nn.Embedding`'s
   * `padding_idx`, whose backward skips them). Read by the autodiff; not written to the ONNX file.
   */
  paddingIdx?: number;
}

type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;

/** A node as the architecture wrote it (read back by the gradient builder). */
export interface NodeRecord {
  readonly type: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttributeValue>>;
  readonly domain: string;
  /** `OpOptions.paddingIdx`, where given. */
  readonly paddingIdx?: number;
}

/** A graph input or an initializer: its element type and dimensions. */
export interface ValueRecord {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly Dim[];
  /** The values of a small int64 initializer (shapes, axes, indices), as numbers. */
  readonly ints?: readonly number[];
}

/** int64 initializers up to this many elements keep their values readable (shape arithmetic). */
const READABLE_INTS = 64;

/** Where a weight's bytes already lie on disk (a safetensors file), for ONNX Runtime to read itself. */
export interface ExternalLocation {
  /** Absolute path of the file. */
  file: string;
  /** Byte offset of the tensor in the file. */
  offset: number;
  length: number;
}

/**
 * Where weights computed in JavaScript (quantized, converted from float16) can be written so that
 * onnxruntime reads them from a file like the checkpoint's own, instead of from a copy inside the
 * serialised model (`Runtime.createWeightSpill`).
 */
export interface WeightSpill {
  /**
   * Writes `bytes` and returns where they now lie; undefined once writing has failed (`error` says why),
   * and the weights then stay in memory.
   */
  write(bytes: Uint8Array): ExternalLocation | undefined;
  /** Bytes written so far. */
  readonly bytesWritten: number;
  /** Why writing stopped (a full or read-only temporary folder), if it did. */
  readonly error?: string;
  /** Deletes what was written, once every session reading it is open. */
  dispose(): void;
}

/** A serialised model with the weights that travel beside it (DESIGN.md: external data). */
export interface BuiltModel {
  model: Uint8Array;
  /** In-memory "files" referenced by initializers (onnxruntime's `externalData` session option). */
  externalData: Array<{ path: string; data: Uint8Array }>;
  /** Folder that on-disk external locations are relative to, when any initializer points at a file. */
  externalFolder?: string;
  /** The files on disk that initializers point at (absolute paths). */
  diskFiles?: string[];
  /** Those of `diskFiles` that a `WeightSpill` wrote for this load (temporary: their content, not their path, identifies them). */
  spilledFiles?: string[];
  /** Bytes of all initializers. */
  weightBytes: number;
}

/** Initializers at least this large are passed beside the protobuf instead of inside it. */
const EXTERNAL_THRESHOLD = 1024;

let nextExternalId = 0;

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers = new Map<string, TensorProto>();
  private readonly external: Array<{ path: string; data: Uint8Array }> = [];
  private readonly diskFiles = new Set<string>();
  private readonly spilledFiles = new Set<string>();
  private readonly inMemory = new Map<string, string>();
  private bytes = 0;
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly scopes: string[] = [];
  private counter = 0;
  private readonly domains = new Map<string, number>([['', 21]]);
  private readonly records: NodeRecord[] = [];
  private readonly values = new Map<string, ValueRecord>();

  constructor(
    readonly name: string,
    /** Where large computed weights go instead of the protobuf or the in-memory external data. */
    private readonly spill?: WeightSpill,
  ) {}

  /** The nodes added so far, in order (a topological order). */
  get nodeRecords(): readonly NodeRecord[] {
    return this.records;
  }

  /** A graph input or initializer by name (undefined for node outputs). */
  valueRecord(name: string): ValueRecord | undefined {
    return this.values.get(name);
  }

  /** Names of the graph inputs declared so far. */
  get inputNames(): string[] {
    return this.inputs.map((i) => i.name);
  }

  /** Runs `fn` with `scope` prepended to generated value names (for readable graphs). */
  scope<T>(scope: string, fn: () => T): T {
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private fresh(hint: string): string {
    const prefix = this.scopes.length > 0 ? `${this.scopes.join('/')}/` : '';
    return `${prefix}${hint}_${this.counter++}`;
  }

  input(name: string, type: ElementType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    this.values.set(name, { name, type, dims: [...dims] });
    return name;
  }

  /** Declares `value` as a graph output called `name` (an Identity is inserted when names differ). */
  output(name: string, value: string, type: ElementType, dims: Dim[]): void {
    if (value !== name) {
      this.nodes.push(node('Identity', [value], [name], {}, ''));
      this.records.push({ type: 'Identity', inputs: [value], outputs: [name], attrs: {}, domain: '' });
    }
    this.outputs.push(valueInfo(name, type, dims));
  }

  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /**
   * Adds a tensor initializer (weights, constants). Re-adding the same name is a
   * no-op. Large data travels beside the protobuf (no copy into it); a
   * location on disk is read by ONNX Runtime itself, never by JavaScript.
   */
  initializer(name: string, type: ElementType, dims: readonly number[], data: TypedData | ExternalLocation): string {
    if (this.initializers.has(name)) return name;
    const base = { name, dataType: DATA_TYPE[type], dims: dims.map((d) => BigInt(d)) };
    const ints = data instanceof BigInt64Array && data.length <= READABLE_INTS ? Array.from(data, Number) : undefined;
    this.values.set(name, { name, type, dims: [...dims], ...(ints ? { ints } : {}) });
    if (!ArrayBuffer.isView(data)) {
      this.diskFiles.add(data.file);
      this.bytes += data.length;
      this.initializers.set(name, create(TensorProtoSchema, { ...base, ...externalRef(rootRelative(data.file), data.offset, data.length) }));
      return name;
    }
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    // Written out now: the caller's array is garbage from here on, and onnxruntime reads the file.
    const location = bytes.byteLength >= EXTERNAL_THRESHOLD ? this.spill?.write(bytes) : undefined;
    if (location !== undefined) {
      this.spilledFiles.add(location.file);
      return this.initializer(name, type, dims, location);
    }
    this.bytes += bytes.byteLength;
    if (bytes.byteLength >= EXTERNAL_THRESHOLD) {
      // Decided in build(): beside the protobuf, unless weights are also read from disk
      // (onnxruntime takes one or the other), in which case inside it.
      // Unique across every graph of the process: onnxruntime-web keeps one table of external data.
      const path = `ved_weight_${nextExternalId++}.bin`;
      this.external.push({ path, data: bytes });
      this.initializers.set(name, create(TensorProtoSchema, { ...base, ...externalRef(path, 0, bytes.byteLength) }));
      this.inMemory.set(path, name);
    } else {
      this.initializers.set(name, create(TensorProtoSchema, { ...base, rawData: bytes }));
    }
    return name;
  }

  /** A float32 constant (scalar when `dims` is empty); float64 when asked. */
  constFloat(values: number | readonly number[], dims: readonly number[] = [], type: 'float32' | 'float64' = 'float32'): string {
    const list = typeof values === 'number' ? [values] : values;
    const arr = type === 'float64' ? Float64Array.from(list) : Float32Array.from(list);
    return this.initializer(this.fresh('const_f'), type, dims, arr);
  }

  /** An int64 constant, 1-D by default (shapes, axes, indices). */
  constInt(values: number | readonly number[], dims?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const arr = BigInt64Array.from(list.map((v) => BigInt(v)));
    const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
    return this.initializer(this.fresh('const_i'), 'int64', shape, arr);
  }

  /** Adds a node and returns its output name. */
  op(type: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, opts: OpOptions = {}): string {
    return this.opMulti(type, inputs, attrs, { ...opts, outputs: 1 })[0]!;
  }

  /** Adds a node with several outputs. */
  opMulti(type: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, opts: OpOptions = {}): string[] {
    const count = opts.outputs ?? 1;
    const outs = opts.names ?? Array.from({ length: count }, () => this.fresh(type));
    const domain = opts.domain ?? '';
    if (domain !== '' && !this.domains.has(domain)) this.domains.set(domain, 1);
    this.nodes.push(node(type, inputs, outs, attrs, domain, this.fresh(`${type}_node`)));
    this.records.push({ type, inputs: [...inputs], outputs: [...outs], attrs, domain, ...(opts.paddingIdx === undefined ? {} : { paddingIdx: opts.paddingIdx }) });
    return outs;
  }

  /** Serialises the model; weights stay beside it (see `BuiltModel`). */
  build(): BuiltModel {
    let external = [...this.external];
    if (this.diskFiles.size > 0 && external.length > 0) {
      for (const { path, data } of external) {
        const name = this.inMemory.get(path)!;
        const t = this.initializers.get(name)!;
        this.initializers.set(name, create(TensorProtoSchema, { name, dataType: t.dataType, dims: t.dims, rawData: data as Uint8Array<ArrayBuffer> }));
      }
      external = [];
    }
    const graph = create(GraphProtoSchema, {
      name: this.name,
      node: this.nodes,
      initializer: [...this.initializers.values()],
      input: this.inputs,
      output: this.outputs,
    });
    const model = create(ModelProtoSchema, {
      irVersion: 10n,
      producerName: 'ved',
      opsetImport: [...this.domains].map(([domain, version]) =>
        create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }),
      ),
      graph,
    });
    const built: BuiltModel = { model: toBinary(ModelProtoSchema, model), externalData: external, weightBytes: this.bytes };
    if (this.diskFiles.size > 0) {
      built.externalFolder = fileRoot([...this.diskFiles][0]!);
      built.diskFiles = [...this.diskFiles];
      if (this.spilledFiles.size > 0) built.spilledFiles = [...this.spilledFiles];
    }
    return built;
  }

  /** Total bytes of initializers (for reporting). */
  get weightBytes(): number {
    return this.bytes;
  }
}

function externalRef(location: string, offset: number, length: number) {
  const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
  return {
    dataLocation: TensorProto_DataLocation.EXTERNAL,
    externalData: [entry('location', location), entry('offset', String(offset)), entry('length', String(length))],
  };
}

/** The file-system root of an absolute path (`/`, or `C:\` on Windows). */
function fileRoot(path: string): string {
  return /^[A-Za-z]:[\\/]/.test(path) ? path.slice(0, 3) : '/';
}

/**
 * onnxruntime refuses absolute external-data paths; relative to the file
 * system root (given as the external-initializer folder) they are accepted.
 */
function rootRelative(path: string): string {
  return path.slice(fileRoot(path).length);
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): ValueInfoProto {
  const shape = create(TensorShapeProtoSchema, {
    dim: dims.map((d) =>
      create(TensorShapeProto_DimensionSchema, {
        value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
      }),
    ),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: DATA_TYPE[type], shape }) },
    }),
  });
}

function node(
  opType: string,
  input: string[],
  output: string[],
  attrs: Record<string, AttributeValue>,
  domain: string,
  name = '',
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input,
    output,
    domain,
    name,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  });
}

function attribute(name: string, v: AttributeValue): AttributeProto {
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) })
      : create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v });
  }
  if (typeof v === 'bigint') return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: v });
  if (typeof v === 'string') {
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(v) });
  }
  if (Array.isArray(v)) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.INTS,
      ints: (v as Array<number | bigint>).map((x) => BigInt(x)),
    });
  }
  if ('float' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.float });
  if ('floats' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: v.floats });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.TENSOR, t: v.tensor });
}
