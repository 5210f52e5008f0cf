/**
 * Test helper: checks the gradients the autodiff builds for a small graph
 * against central finite differences, running both in onnxruntime-node.
 * The objective is L = Σ y·r for a random r, so every rule is checked as the
 * vector-Jacobian product it is. float64 graphs give exact comparisons;
 * float32 ones (ops without double kernels) use wider steps and tolerances.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type Dim } from '../../onnx/graph-builder.js';
import { SeededRandom } from '../../random/seeded-random.js';
import { addGradients } from '../backward.js';
import { ShapeTable } from '../shape-inference.js';

export type FloatType = 'float32' | 'float64';

export interface CheckInput {
  name: string;
  dims: number[];
  /** Float input (default) or int64 data (never differentiated). */
  int64?: number[];
  /** Float values (default: N(0, 1) draws, or `positive` draws in [0.5, 1.5]). */
  values?: number[];
  positive?: boolean;
  /** Differentiate with respect to it (default: true for float inputs). */
  wrt?: boolean;
  /** Declared dims (symbolic names allowed) instead of `dims`. */
  declared?: Dim[];
}

export interface CheckOptions {
  type?: FloatType;
  seed?: number;
  /** Relative tolerance (default 1e-6 for float64, 2e-2 for float32). */
  rtol?: number;
  atol?: number;
  /** Finite-difference step (default 1e-5 for float64, 1e-2 for float32). */
  step?: number;
}

export interface CheckResult {
  /** Largest |analytic - numeric| / (atol + rtol |numeric|) over all elements (≤ 1 passes). */
  worst: number;
  /** Number of gradient nodes added. */
  gradientNodes: number;
  analytic: Map<string, Float64Array>;
  numeric: Map<string, Float64Array>;
}

type Build = (g: GraphBuilder, inputs: Record<string, string>, type: FloatType) => string;

const numel = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

export async function checkGradients(inputs: CheckInput[], build: Build, options: CheckOptions = {}): Promise<CheckResult> {
  const type = options.type ?? 'float64';
  const rtol = options.rtol ?? (type === 'float64' ? 1e-6 : 2e-2);
  const atol = options.atol ?? (type === 'float64' ? 1e-8 : 1e-3);
  const h = options.step ?? (type === 'float64' ? 1e-5 : 1e-2);
  const rng = new SeededRandom(options.seed ?? 1);
  const values = new Map<string, Float64Array>();
  for (const i of inputs) {
    if (i.int64) continue;
    const v = i.values ? Float64Array.from(i.values) : Float64Array.from({ length: numel(i.dims) }, () => (i.positive ? 0.5 + rng.nextDouble() : rng.normal()));
    values.set(i.name, v);
  }
  const g = new GraphBuilder('gradient_check');
  const names: Record<string, string> = {};
  for (const i of inputs) names[i.name] = g.input(i.name, i.int64 ? 'int64' : type, i.declared ?? i.dims);
  const y = build(g, names, type);
  const shapes = new ShapeTable(g);
  const declared = (v: string) => (shapes.info(v).dims ?? []).map((d, k) => (typeof d === 'number' ? d : `d${k}`));
  g.output('check_output', y, type, declared(y));
  const forward = await ort.InferenceSession.create(g.build().model);
  const feeds = (over?: Map<string, Float64Array>) => {
    const f: Record<string, ort.Tensor> = {};
    for (const i of inputs) {
      if (i.int64) f[i.name] = new ort.Tensor('int64', BigInt64Array.from(i.int64, BigInt), i.dims);
      else {
        const v = over?.get(i.name) ?? values.get(i.name)!;
        f[i.name] = type === 'float64' ? new ort.Tensor('float64', Float64Array.from(v), i.dims) : new ort.Tensor('float32', Float32Array.from(v), i.dims);
      }
    }
    return f;
  };
  const base = (await forward.run(feeds())).check_output!;
  const yDims = [...base.dims];
  const r = Float64Array.from({ length: numel(yDims) }, () => rng.normal());
  const objective = async (over: Map<string, Float64Array>) => {
    const out = (await forward.run(feeds(over))).check_output!.data as Float32Array | Float64Array;
    let s = 0;
    for (let k = 0; k < out.length; k++) s += out[k]! * r[k]!;
    return s;
  };

  const before = g.nodeRecords.length;
  const wrt = inputs.filter((i) => !i.int64 && i.wrt !== false).map((i) => i.name);
  const seed = g.input('dy', type, yDims);
  const grads = addGradients(g, y, wrt, { seed });
  const gradientNodes = g.nodeRecords.length - before;
  for (const name of wrt) {
    const grad = grads.get(name);
    if (grad === undefined) throw new Error(`no gradient for ${name}`);
    g.output(`grad_${name}`, grad, type, declared(name));
  }
  const backward = await ort.InferenceSession.create(g.build().model);
  const seedTensor = type === 'float64' ? new ort.Tensor('float64', Float64Array.from(r), yDims) : new ort.Tensor('float32', Float32Array.from(r), yDims);
  const out = await backward.run({ ...feeds(), dy: seedTensor });

  const analytic = new Map<string, Float64Array>();
  const numeric = new Map<string, Float64Array>();
  let worst = 0;
  for (const name of wrt) {
    const got = out[`grad_${name}`]!;
    const spec = inputs.find((i) => i.name === name)!;
    if (got.dims.join(',') !== spec.dims.join(',')) throw new Error(`gradient of ${name} has shape [${got.dims.join(', ')}], expected [${spec.dims.join(', ')}]`);
    const a = Float64Array.from(got.data as Float32Array | Float64Array);
    const v = values.get(name)!;
    const num = new Float64Array(v.length);
    for (let k = 0; k < v.length; k++) {
      const plus = Float64Array.from(v);
      const minus = Float64Array.from(v);
      plus[k]! += h;
      minus[k]! -= h;
      num[k] = ((await objective(new Map([[name, plus]]))) - (await objective(new Map([[name, minus]])))) / (2 * h);
      worst = Math.max(worst, Math.abs(a[k]! - num[k]!) / (atol + rtol * Math.abs(num[k]!)));
    }
    analytic.set(name, a);
    numeric.set(name, num);
  }
  await forward.release();
  await backward.release();
  return { worst, gradientNodes, analytic, numeric };
}
