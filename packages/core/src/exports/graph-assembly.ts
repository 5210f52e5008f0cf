/**
 * The last steps of writing an exported graph, on the protobuf itself:
 *
 * - GraphBuilder leaves large weights beside the protobuf as in-memory
 *   "files" (`BuiltModel.externalData`); here they are either put back
 *   inline or laid out in one external data file (`<graph>.onnx_data`, the
 *   name transformers.js and Optimum use), so a model near protobuf's 2 GB
 *   limit is never serialised with its weights inside;
 * - an If node built as a placeholder gets its `then_branch` / `else_branch`
 *   subgraphs (GraphBuilder has no graph-valued attributes), as Optimum's
 *   `merge_decoders` joins its two decoders on `use_cache_branch`.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  type GraphProto,
  type ModelProto,
  type TensorProto,
} from 'onnx-buf';
import type { BuiltModel } from '../onnx/graph-builder.js';
import { VedError } from '../errors.js';

export interface IfBranches {
  /** The If node is the one whose first output is this name. */
  firstOutput: string;
  then: BuiltModel;
  else: BuiltModel;
}

export interface AssembleOptions {
  branches?: IfBranches;
  /** Lay the weights out in this external data file (a name relative to the model) instead of inlining them. */
  externalData?: string;
}

export interface AssembledModel {
  model: Uint8Array;
  /** The external data file's contents, when `externalData` was given. */
  data?: Uint8Array;
}

const ALIGN = 64;

/** Bytes of weights the graph (and its branches) hold beside the protobuf. */
export function weightBytes(main: BuiltModel, branches?: IfBranches): number {
  return main.weightBytes + (branches ? branches.then.weightBytes + branches.else.weightBytes : 0);
}

export function assembleModel(main: BuiltModel, options: AssembleOptions = {}): AssembledModel {
  const chunks: Array<{ offset: number; bytes: Uint8Array }> = [];
  let size = 0;
  const place = (init: TensorProto, bytes: Uint8Array) => {
    if (options.externalData === undefined) {
      init.dataLocation = TensorProto_DataLocation.DEFAULT;
      init.externalData = [];
      init.rawData = bytes as Uint8Array<ArrayBuffer>;
      return;
    }
    const offset = Math.ceil(size / ALIGN) * ALIGN;
    chunks.push({ offset, bytes });
    size = offset + bytes.byteLength;
    init.externalData = [
      create(StringStringEntryProtoSchema, { key: 'location', value: options.externalData }),
      create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
      create(StringStringEntryProtoSchema, { key: 'length', value: String(bytes.byteLength) }),
    ];
  };
  // Each builder names its in-memory files from 0, so every graph is resolved against its own.
  const resolve = (built: BuiltModel): ModelProto => {
    const model = fromBinary(ModelProtoSchema, built.model);
    const files = new Map(built.externalData.map((f) => [f.path, f.data]));
    for (const init of model.graph!.initializer) {
      if (init.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
      const entry = (key: string) => init.externalData.find((e) => e.key === key)?.value;
      const data = files.get(entry('location') ?? '');
      if (data === undefined) {
        throw new VedError('RUNTIME', `Cannot export initializer "${init.name}": its data lies in ${JSON.stringify(entry('location'))}, outside the built graph.`);
      }
      const offset = Number(entry('offset') ?? 0);
      const length = entry('length') === undefined ? data.byteLength - offset : Number(entry('length'));
      place(init, data.subarray(offset, offset + length));
    }
    return model;
  };

  const model = resolve(main);
  if (options.branches !== undefined) attachBranches(model, options.branches.firstOutput, resolve(options.branches.then), resolve(options.branches.else));
  const out: AssembledModel = { model: toBinary(ModelProtoSchema, model) };
  if (options.externalData !== undefined) {
    const data = new Uint8Array(size);
    for (const c of chunks) data.set(c.bytes, c.offset);
    out.data = data;
  }
  return out;
}

function attachBranches(model: ModelProto, firstOutput: string, thenModel: ModelProto, elseModel: ModelProto): void {
  const node = model.graph!.node.find((n) => n.opType === 'If' && n.output[0] === firstOutput);
  if (node === undefined) throw new VedError('RUNTIME', `internal: no If node produces "${firstOutput}".`);
  const graphAttr = (name: string, g: GraphProto) => create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.GRAPH, g });
  node.attribute = [graphAttr('then_branch', thenModel.graph!), graphAttr('else_branch', elseModel.graph!)];
  // Subgraphs may use operator domains the outer graph does not.
  const versions = new Map(model.opsetImport.map((o) => [o.domain, o.version]));
  for (const sub of [thenModel, elseModel]) {
    for (const o of sub.opsetImport) {
      const v = versions.get(o.domain);
      if (v === undefined || v < o.version) versions.set(o.domain, o.version);
    }
  }
  model.opsetImport = [...versions].map(([domain, version]) => create(OperatorSetIdProtoSchema, { domain, version }));
}
