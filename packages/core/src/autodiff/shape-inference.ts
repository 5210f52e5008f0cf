/**
 * Static shape inference over the nodes of a `GraphBuilder`, for the gradient
 * builder: element type, rank and dimensions (numbers or symbols, see dims.ts)
 * of every value, and the values of small int64 tensors (shape arithmetic such
 * as `Concat(Slice(Shape(x)), [H])`), as ONNX's shape inference with data
 * propagation does. Gradients use it to reduce broadcast gradients and to
 * reshape statically; where something is not known here, the rules fall back
 * to shape ops evaluated at run time.
 */
import type { AttributeValue, Dim, ElementType, GraphBuilder, NodeRecord } from '../onnx/graph-builder.js';
import { broadcastDim, dimAdd, dimDiv, dimEquals, dimMul, dimSub, product, unknownDim } from './dims.js';

export interface ValueInfo {
  type: ElementType | undefined;
  /** Dimensions, when the rank is known. */
  dims?: Dim[];
  /** Values of a small int64 tensor (scalar or 1-D), when known. */
  ints?: Dim[];
}

/** ONNX `TensorProto.DataType` codes of the `Cast` attribute `to`. */
const CAST_TYPES: Record<number, ElementType> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

const BIG = 2 ** 62;

type Infer = (n: NodeRecord, get: (v: string) => ValueInfo) => ValueInfo[];

export const intAttr = (n: NodeRecord, name: string, fallback: number): number => {
  const v = n.attrs[name];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : fallback;
};
export const intsAttr = (n: NodeRecord, name: string): number[] | undefined => {
  const v: AttributeValue | undefined = n.attrs[name];
  return Array.isArray(v) ? (v as Array<number | bigint>).map(Number) : undefined;
};

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function broadcast(infos: ValueInfo[]): Dim[] | undefined {
  if (infos.some((i) => i.dims === undefined)) return undefined;
  const rank = Math.max(...infos.map((i) => i.dims!.length));
  const out: Dim[] = [];
  for (let k = 0; k < rank; k++) {
    let d: Dim = 1;
    for (const i of infos) {
      const dims = i.dims!;
      const x = dims[dims.length - rank + k] ?? 1;
      d = broadcastDim(d, x) ?? unknownDim();
    }
    out.push(d);
  }
  return out;
}

/** Elementwise int arithmetic on known values (shape computations). */
function intArith(type: string, a: ValueInfo, b: ValueInfo): Dim[] | undefined {
  if (a.ints === undefined || b.ints === undefined) return undefined;
  const n = Math.max(a.ints.length, b.ints.length);
  if (a.ints.length !== n && a.ints.length !== 1) return undefined;
  if (b.ints.length !== n && b.ints.length !== 1) return undefined;
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a.ints[a.ints.length === 1 ? 0 : i]!;
    const y = b.ints[b.ints.length === 1 ? 0 : i]!;
    if (type === 'Add') out.push(dimAdd(x, y));
    else if (type === 'Sub') out.push(dimSub(x, y));
    else if (type === 'Mul') out.push(dimMul(x, y));
    else if (type === 'Div' && typeof x === 'number' && typeof y === 'number') out.push(Math.trunc(x / y));
    else if (type === 'Div') out.push(dimDiv(x, y) ?? unknownDim());
    else return undefined;
  }
  return out;
}

const same: Infer = (n, get) => [{ ...get(n.inputs[0]!), ints: undefined }];

const elementwise: Infer = (n, get) => {
  const infos = n.inputs.map(get);
  const dims = broadcast(infos);
  const ints = infos.length === 2 ? intArith(n.type, infos[0]!, infos[1]!) : undefined;
  return [{ type: infos[0]!.type, ...(dims ? { dims } : {}), ...(ints ? { ints } : {}) }];
};

const comparison: Infer = (n, get) => {
  const dims = broadcast(n.inputs.map(get));
  return [{ type: 'bool', ...(dims ? { dims } : {}) }];
};

function sliceDims(x: ValueInfo, starts: Dim[], ends: Dim[], axes: number[], steps: number[]): Dim[] | undefined {
  if (x.dims === undefined) return undefined;
  const out = [...x.dims];
  axes.forEach((axis0, i) => {
    const axis = normAxis(axis0, out.length);
    const d = out[axis]!;
    const s = starts[i]!;
    const e = ends[i]!;
    const step = steps[i] ?? 1;
    if (typeof d === 'number' && typeof s === 'number' && typeof e === 'number') {
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      const start = step > 0 ? clamp(s < 0 ? s + d : s, 0, d) : clamp(s < 0 ? s + d : s, -1, d - 1);
      const end = step > 0 ? clamp(e < 0 ? e + d : e, 0, d) : clamp(e < 0 ? e + d : e, -1, d - 1);
      out[axis] = Math.max(0, Math.ceil((end - start) / step));
    } else if (s === 0 && typeof e === 'number' && e >= BIG && step === 1) {
      out[axis] = d;
    } else if (typeof s === 'number' && typeof e === 'number' && s >= 0 && e >= 0 && step === 1 && e >= s && typeof d === 'string') {
      // Within a symbolic dimension: the size is e - s if the dimension is at least e (shape vectors, whose length is known, never reach here).
      out[axis] = unknownDim();
    } else {
      out[axis] = unknownDim();
    }
  });
  return out;
}

const RULES: Record<string, Infer> = {
  Identity: (n, get) => [get(n.inputs[0]!)],
  Cast: (n, get) => {
    const x = get(n.inputs[0]!);
    const to = CAST_TYPES[intAttr(n, 'to', 1)];
    return [{ type: to, ...(x.dims ? { dims: x.dims } : {}), ...(x.ints && to === 'int64' ? { ints: x.ints } : {}) }];
  },
  Shape: (n, get) => {
    const x = get(n.inputs[0]!);
    if (x.dims === undefined) return [{ type: 'int64', dims: [unknownDim()] }];
    const rank = x.dims.length;
    const start = normAxis(intAttr(n, 'start', 0), rank);
    const end = n.attrs.end === undefined ? rank : normAxis(intAttr(n, 'end', rank), rank);
    const ints = x.dims.slice(start, end);
    return [{ type: 'int64', dims: [ints.length], ints }];
  },
  Reshape: (n, get) => {
    const x = get(n.inputs[0]!);
    const target = get(n.inputs[1]!);
    if (target.ints === undefined) {
      return [{ type: x.type, ...(target.dims && typeof target.dims[0] === 'number' ? { dims: Array.from({ length: target.dims[0] }, unknownDim) } : {}) }];
    }
    const out: Dim[] = target.ints.map((d, i) => (d === 0 && intAttr(n, 'allowzero', 0) === 0 ? (x.dims?.[i] ?? unknownDim()) : d));
    const minus = out.indexOf(-1);
    if (minus >= 0) {
      const rest = product(out.filter((_, i) => i !== minus));
      out[minus] = x.dims === undefined ? unknownDim() : (dimDiv(product(x.dims), rest) ?? unknownDim());
    }
    return [{ type: x.type, dims: out, ...(x.ints && out.length <= 1 ? { ints: x.ints } : {}) }];
  },
  Flatten: (n, get) => {
    const x = get(n.inputs[0]!);
    if (x.dims === undefined) return [{ type: x.type, dims: [unknownDim(), unknownDim()] }];
    const axis = normAxis(intAttr(n, 'axis', 1), x.dims.length);
    return [{ type: x.type, dims: [product(x.dims.slice(0, axis)), product(x.dims.slice(axis))] }];
  },
  Transpose: (n, get) => {
    const x = get(n.inputs[0]!);
    if (x.dims === undefined) return [{ type: x.type }];
    const perm = intsAttr(n, 'perm') ?? x.dims.map((_, i) => x.dims!.length - 1 - i);
    return [{ type: x.type, dims: perm.map((p) => x.dims![p]!) }];
  },
  Unsqueeze: (n, get) => {
    const x = get(n.inputs[0]!);
    const axes = get(n.inputs[1]!).ints;
    if (x.dims === undefined || axes === undefined || axes.some((a) => typeof a !== 'number')) return [{ type: x.type }];
    const rank = x.dims.length + axes.length;
    const norm = (axes as number[]).map((a) => normAxis(a, rank)).sort((a, b) => a - b);
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : x.dims[k++]!);
    return [{ type: x.type, dims: out, ...(x.ints && out.length <= 1 ? { ints: x.ints } : {}) }];
  },
  Squeeze: (n, get) => {
    const x = get(n.inputs[0]!);
    const axes = n.inputs[1] ? get(n.inputs[1]).ints : undefined;
    if (x.dims === undefined) return [{ type: x.type }];
    const drop = axes === undefined ? x.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : (axes as number[]).map((a) => normAxis(a, x.dims!.length));
    const dims = x.dims.filter((_, i) => !drop.includes(i));
    return [{ type: x.type, dims, ...(x.ints && dims.length === 0 ? { ints: x.ints } : {}) }];
  },
  Concat: (n, get) => {
    const infos = n.inputs.map(get);
    const first = infos[0]!;
    const ints = infos.every((i) => i.ints !== undefined) ? infos.flatMap((i) => i.ints!) : undefined;
    if (infos.some((i) => i.dims === undefined)) return [{ type: first.type, ...(ints ? { ints, dims: [ints.length] } : {}) }];
    const axis = normAxis(intAttr(n, 'axis', 0), first.dims!.length);
    const dims = [...first.dims!];
    dims[axis] = infos.map((i) => i.dims![axis]!).reduce((a, b) => dimAdd(a, b));
    return [{ type: first.type, dims, ...(ints ? { ints } : {}) }];
  },
  Split: (n, get) => {
    const x = get(n.inputs[0]!);
    const count = n.outputs.length;
    const sizes = n.inputs[1] ? get(n.inputs[1]).ints : undefined;
    if (x.dims === undefined) return n.outputs.map(() => ({ type: x.type }));
    const axis = normAxis(intAttr(n, 'axis', 0), x.dims.length);
    return n.outputs.map((_, i) => {
      const dims = [...x.dims!];
      const whole = dims[axis]!;
      dims[axis] = sizes?.[i] ?? (typeof whole === 'number' && whole % count === 0 ? whole / count : unknownDim());
      return { type: x.type, dims };
    });
  },
  Slice: (n, get) => {
    const x = get(n.inputs[0]!);
    const starts = get(n.inputs[1]!).ints;
    const ends = get(n.inputs[2]!).ints;
    const axes = n.inputs[3] ? get(n.inputs[3]).ints : starts?.map((_, i) => i);
    const steps = n.inputs[4] ? get(n.inputs[4]).ints : starts?.map(() => 1);
    const known = starts && ends && axes && steps && [...axes, ...steps].every((v) => typeof v === 'number');
    if (!known) return [{ type: x.type, ...(x.dims ? { dims: x.dims.map(unknownDim) } : {}) }];
    const dims = sliceDims(x, starts, ends, axes as number[], steps as number[]);
    let ints: Dim[] | undefined;
    if (x.ints !== undefined && x.dims?.length === 1 && typeof starts[0] === 'number' && typeof ends[0] === 'number' && steps[0] === 1) {
      const len = x.ints.length;
      const s = starts[0] < 0 ? starts[0] + len : Math.min(starts[0], len);
      const e = ends[0] < 0 ? ends[0] + len : Math.min(ends[0], len);
      ints = x.ints.slice(s, e);
    }
    return [{ type: x.type, ...(dims ? { dims } : {}), ...(ints ? { ints } : {}) }];
  },
  Gather: (n, get) => {
    const x = get(n.inputs[0]!);
    const idx = get(n.inputs[1]!);
    if (x.dims === undefined || idx.dims === undefined) return [{ type: x.type }];
    const axis = normAxis(intAttr(n, 'axis', 0), x.dims.length);
    const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
    let ints: Dim[] | undefined;
    if (x.ints && idx.ints && x.dims.length === 1 && idx.ints.every((i) => typeof i === 'number')) {
      ints = (idx.ints as number[]).map((i) => x.ints![i < 0 ? i + x.ints!.length : i] ?? unknownDim());
    }
    return [{ type: x.type, dims, ...(ints ? { ints } : {}) }];
  },
  Expand: (n, get) => {
    const x = get(n.inputs[0]!);
    const shape = get(n.inputs[1]!).ints;
    if (shape === undefined) return [{ type: x.type }];
    const dims = broadcast([x, { type: 'int64', dims: shape }]);
    return [{ type: x.type, ...(dims ? { dims } : {}) }];
  },
  MatMul: (n, get) => {
    const a = get(n.inputs[0]!);
    const b = get(n.inputs[1]!);
    if (a.dims === undefined || b.dims === undefined || a.dims.length < 2 || b.dims.length < 2) return [{ type: a.type }];
    const batch = broadcast([
      { type: a.type, dims: a.dims.slice(0, -2) },
      { type: b.type, dims: b.dims.slice(0, -2) },
    ])!;
    return [{ type: a.type, dims: [...batch, a.dims[a.dims.length - 2]!, b.dims[b.dims.length - 1]!] }];
  },
  Gemm: (n, get) => {
    const a = get(n.inputs[0]!);
    const b = get(n.inputs[1]!);
    if (a.dims === undefined || b.dims === undefined) return [{ type: a.type, dims: [unknownDim(), unknownDim()] }];
    const m = intAttr(n, 'transA', 0) ? a.dims[1]! : a.dims[0]!;
    const k = intAttr(n, 'transB', 0) ? b.dims[0]! : b.dims[1]!;
    return [{ type: a.type, dims: [m, k] }];
  },
  Conv: (n, get) => {
    const x = get(n.inputs[0]!);
    const w = get(n.inputs[1]!);
    if (x.dims === undefined || w.dims === undefined) return [{ type: x.type }];
    const spatial = x.dims.length - 2;
    const kernel = intsAttr(n, 'kernel_shape') ?? (w.dims.slice(2) as number[]);
    const strides = intsAttr(n, 'strides') ?? Array(spatial).fill(1);
    const pads = intsAttr(n, 'pads') ?? Array(2 * spatial).fill(0);
    const dil = intsAttr(n, 'dilations') ?? Array(spatial).fill(1);
    const out: Dim[] = [x.dims[0]!, w.dims[0]!];
    for (let i = 0; i < spatial; i++) {
      const d = x.dims[2 + i]!;
      out.push(typeof d === 'number' ? Math.floor((d + pads[i]! + pads[i + spatial]! - dil[i]! * (kernel[i]! - 1) - 1) / strides[i]!) + 1 : unknownDim());
    }
    return [{ type: x.type, dims: out }];
  },
  LayerNormalization: (n, get) => {
    const x = get(n.inputs[0]!);
    if (x.dims === undefined) return n.outputs.map((_, i) => ({ type: i === 0 ? x.type : 'float32' }));
    const axis = normAxis(intAttr(n, 'axis', -1), x.dims.length);
    const stat = x.dims.map((d, i) => (i >= axis ? 1 : d));
    // Mean and InvStdDev are float32 unless `stash_type` says otherwise; the input's type here.
    return n.outputs.map((_, i) => ({ type: x.type, dims: i === 0 ? x.dims : stat }));
  },
  Range: (n, get) => {
    const [s, l, d] = n.inputs.map((v) => get(v).ints?.[0]);
    if (typeof s === 'number' && typeof l === 'number' && typeof d === 'number') {
      const len = Math.max(0, Math.ceil((l - s) / d));
      const ints = len <= 64 ? Array.from({ length: len }, (_, i) => s + i * d) : undefined;
      return [{ type: get(n.inputs[0]!).type, dims: [len], ...(ints ? { ints } : {}) }];
    }
    const len = s === 0 && d === 1 && l !== undefined ? l : unknownDim();
    return [{ type: get(n.inputs[0]!).type, dims: [len] }];
  },
  Pad: (n, get) => {
    const x = get(n.inputs[0]!);
    const pads = get(n.inputs[1]!).ints;
    if (x.dims === undefined || pads === undefined) return [{ type: x.type, ...(x.dims ? { dims: x.dims.map(unknownDim) } : {}) }];
    const rank = x.dims.length;
    const axes = n.inputs[3] ? (get(n.inputs[3]).ints as number[] | undefined) : x.dims.map((_, i) => i);
    if (axes === undefined) return [{ type: x.type, dims: x.dims.map(unknownDim) }];
    const dims = [...x.dims];
    axes.forEach((a, i) => {
      const axis = normAxis(a, rank);
      dims[axis] = dimAdd(dimAdd(dims[axis]!, pads[i]!), pads[i + axes.length]!);
    });
    return [{ type: x.type, dims }];
  },
  Resize: (n, get) => {
    const x = get(n.inputs[0]!);
    const sizes = n.inputs[3] ? get(n.inputs[3]).ints : undefined;
    if (sizes !== undefined) return [{ type: x.type, dims: sizes }];
    return [{ type: x.type, ...(x.dims ? { dims: x.dims.map(unknownDim) } : {}) }];
  },
  CumSum: same,
  ReduceSum: reduce,
  ReduceMean: reduce,
  ReduceMax: reduce,
  SoftmaxCrossEntropyLoss: (n, get) => {
    const scores = get(n.inputs[0]!);
    const labels = get(n.inputs[1]!);
    const reduction = n.attrs.reduction ?? 'mean';
    const loss: ValueInfo = reduction === 'none' ? { type: scores.type, ...(labels.dims ? { dims: labels.dims } : {}) } : { type: scores.type, dims: [] };
    return n.outputs.map((_, i) => (i === 0 ? loss : { type: scores.type, ...(scores.dims ? { dims: scores.dims } : {}) }));
  },
  OneHot: (n, get) => {
    const idx = get(n.inputs[0]!);
    const depth = get(n.inputs[1]!).ints?.[0] ?? unknownDim();
    const values = get(n.inputs[2]!);
    return [{ type: values.type, ...(idx.dims ? { dims: [...idx.dims, depth] } : {}) }];
  },
  ConstantOfShape: (n, get) => {
    const shape = get(n.inputs[0]!).ints;
    return [{ type: 'float32', ...(shape ? { dims: shape } : {}) }];
  },
  ScatterND: same,
  ScatterElements: same,
};

function reduce(n: NodeRecord, get: (v: string) => ValueInfo): ValueInfo[] {
  const x = get(n.inputs[0]!);
  const axesIn = n.inputs[1] ? get(n.inputs[1]).ints : intsAttr(n, 'axes');
  const keep = intAttr(n, 'keepdims', 1) === 1;
  if (x.dims === undefined || (n.inputs[1] && axesIn === undefined)) return [{ type: x.type }];
  const rank = x.dims.length;
  const axes = axesIn === undefined || axesIn.length === 0 ? x.dims.map((_, i) => i) : (axesIn as number[]).map((a) => normAxis(a, rank));
  const dims = keep ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : x.dims.filter((_, i) => !axes.includes(i));
  return [{ type: x.type, dims }];
}

for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Pow', 'Mod', 'Max', 'Min', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitShift']) RULES[op] = elementwise;
for (const op of ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor']) RULES[op] = comparison;
RULES.Not = same;
RULES.Where = (n, get) => {
  const infos = n.inputs.map(get);
  const dims = broadcast(infos);
  return [{ type: infos[1]!.type, ...(dims ? { dims } : {}) }];
};
for (const op of ['Relu', 'Sigmoid', 'Tanh', 'Sin', 'Cos', 'Erf', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Gelu', 'FastGelu', 'Softmax', 'LogSoftmax', 'Floor', 'Softplus', 'Elu', 'LeakyRelu', 'HardSigmoid', 'HardSwish']) {
  RULES[op] = same;
}

/**
 * Element type, dimensions and small int values of every value of a graph.
 * `refresh()` takes in the nodes added since the last call.
 */
export class ShapeTable {
  private readonly infos = new Map<string, ValueInfo>();
  private done = 0;
  private refreshing = false;

  constructor(private readonly g: GraphBuilder) {
    this.refresh();
  }

  refresh(): void {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const nodes = this.g.nodeRecords;
      for (; this.done < nodes.length; this.done++) {
        const n = nodes[this.done]!;
        const rule = RULES[n.type];
        const get = (v: string) => this.info(v);
        const out = rule ? rule(n, get) : n.outputs.map(() => ({ type: undefined }));
        n.outputs.forEach((name, i) => this.infos.set(name, out[i] ?? { type: undefined }));
      }
    } finally {
      this.refreshing = false;
    }
  }

  info(value: string): ValueInfo {
    let info = this.infos.get(value);
    // A value added since (gradient nodes): take in the new nodes first.
    if (info === undefined && this.done < this.g.nodeRecords.length) {
      this.refresh();
      info = this.infos.get(value);
    }
    if (info === undefined) {
      const rec = this.g.valueRecord(value);
      info = rec === undefined ? { type: undefined } : { type: rec.type, dims: [...rec.dims], ...(rec.ints ? { ints: [...rec.ints] } : {}) };
      this.infos.set(value, info);
    }
    return info;
  }
}

export { dimEquals };
