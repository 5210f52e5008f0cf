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
  TensorProtoSchema,
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

export type ElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

const DATA_TYPE: Record<ElementType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
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
}

type TypedData = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers = new Map<string, TensorProto>();
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly scopes: string[] = [];
  private counter = 0;
  private readonly domains = new Map<string, number>([['', 21]]);

  constructor(readonly name: string) {}

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
    return name;
  }

  /** Declares `value` as a graph output called `name` (an Identity is inserted when names differ). */
  output(name: string, value: string, type: ElementType, dims: Dim[]): void {
    if (value !== name) this.nodes.push(node('Identity', [value], [name], {}, ''));
    this.outputs.push(valueInfo(name, type, dims));
  }

  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** Adds a tensor initializer (weights, constants). Re-adding the same name is a no-op. */
  initializer(name: string, type: ElementType, dims: readonly number[], data: TypedData): string {
    if (this.initializers.has(name)) return name;
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    this.initializers.set(
      name,
      create(TensorProtoSchema, {
        name,
        dataType: DATA_TYPE[type],
        dims: dims.map((d) => BigInt(d)),
        rawData: bytes,
      }),
    );
    return name;
  }

  /** A float32 constant (scalar when `dims` is empty). */
  constFloat(values: number | readonly number[], dims: readonly number[] = []): string {
    const arr = Float32Array.from(typeof values === 'number' ? [values] : values);
    return this.initializer(this.fresh('const_f'), 'float32', dims, arr);
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
    return outs;
  }

  /** Serialises the model. */
  toBinary(): Uint8Array {
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
    return toBinary(ModelProtoSchema, model);
  }

  /** Total bytes of initializers (for reporting). */
  get weightBytes(): number {
    let total = 0;
    for (const t of this.initializers.values()) total += t.rawData.byteLength;
    return total;
  }
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
