/**
 * Which external data files an ONNX model needs: the `location` of every
 * tensor stored outside the protobuf (`data_location = EXTERNAL`), in the
 * model's initializers, in its subgraphs (If/Loop branches) and in constant
 * attributes. Read by walking the protobuf wire format, skipping everything
 * else, so even a model with gigabytes of inline weights is scanned without
 * decoding it. Field numbers are those of onnx.proto (onnx 1.20).
 */
import { VedError } from '../errors.js';

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

// ModelProto.graph; GraphProto.node/initializer/sparse_initializer; NodeProto.attribute;
// AttributeProto.t/g/tensors/graphs/sparse_tensor/sparse_tensors; SparseTensorProto.values/indices;
// TensorProto.external_data; StringStringEntryProto.key/value.
const MODEL_GRAPH = 7;
const MODEL_FUNCTIONS = 25;
const FUNCTION_NODE = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_ATTRIBUTE = 5;
const ATTR_T = 5;
const ATTR_G = 6;
const ATTR_TENSORS = 10;
const ATTR_GRAPHS = 11;
const ATTR_SPARSE_TENSOR = 22;
const ATTR_SPARSE_TENSORS = 23;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

type Message = 'model' | 'function' | 'graph' | 'node' | 'attribute' | 'sparse' | 'tensor';

/** For each message kind, the length-delimited fields that hold sub-messages worth entering. */
const CHILDREN: Record<Message, Partial<Record<number, Message>>> = {
  model: { [MODEL_GRAPH]: 'graph', [MODEL_FUNCTIONS]: 'function' },
  function: { [FUNCTION_NODE]: 'node' },
  graph: { [GRAPH_NODE]: 'node', [GRAPH_INITIALIZER]: 'tensor', [GRAPH_SPARSE_INITIALIZER]: 'sparse' },
  node: { [NODE_ATTRIBUTE]: 'attribute' },
  attribute: {
    [ATTR_T]: 'tensor',
    [ATTR_G]: 'graph',
    [ATTR_TENSORS]: 'tensor',
    [ATTR_GRAPHS]: 'graph',
    [ATTR_SPARSE_TENSOR]: 'sparse',
    [ATTR_SPARSE_TENSORS]: 'sparse',
  },
  sparse: { [SPARSE_VALUES]: 'tensor', [SPARSE_INDICES]: 'tensor' },
  tensor: {},
};

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    readonly where: string,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw this.corrupt();
      const b = this.bytes[this.pos++]!;
      // Lengths and tags fit in 53 bits; multiplication keeps precision where << would overflow.
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw this.corrupt();
    }
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_I64) this.pos += 8;
    else if (wire === WIRE_I32) this.pos += 4;
    else if (wire === WIRE_LEN) this.pos += this.varint();
    else throw this.corrupt();
    if (this.pos > this.end) throw this.corrupt();
  }

  corrupt(): VedError {
    return new VedError('INVALID_INPUT', `${this.where} is not a valid ONNX model (malformed protobuf at byte ${this.pos}).`);
  }
}

/** The external data `location`s a serialized ONNX model refers to, in order of first use. */
export function externalDataLocations(model: Uint8Array, where = 'the ONNX model'): string[] {
  const found = new Set<string>();
  walk(new Reader(model, 0, model.length, where), 'model', found);
  return [...found];
}

function walk(r: Reader, kind: Message, found: Set<string>): void {
  const children = CHILDREN[kind];
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire !== WIRE_LEN) {
      r.skip(wire);
      continue;
    }
    const length = r.varint();
    const start = r.pos;
    const stop = start + length;
    if (stop > r.end) throw r.corrupt();
    if (kind === 'tensor' && field === TENSOR_EXTERNAL_DATA) {
      const entry = readEntry(new Reader(r.bytes, start, stop, r.where));
      if (entry.key === 'location' && entry.value !== undefined) found.add(entry.value);
    } else {
      const child = children[field];
      if (child !== undefined) walk(new Reader(r.bytes, start, stop, r.where), child, found);
    }
    r.pos = stop;
  }
}

function readEntry(r: Reader): { key?: string; value?: string } {
  const out: { key?: string; value?: string } = {};
  const decoder = new TextDecoder();
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_LEN && (field === ENTRY_KEY || field === ENTRY_VALUE)) {
      const length = r.varint();
      const text = decoder.decode(r.bytes.subarray(r.pos, r.pos + length));
      r.pos += length;
      if (field === ENTRY_KEY) out.key = text;
      else out.value = text;
    } else {
      r.skip(wire);
    }
  }
  return out;
}
