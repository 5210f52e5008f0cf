/**
 * An architecture's weight list (`weights(config)`: names, shapes, init rules)
 * derived from its graph build, so each weight is named once, where the graph
 * reads it. A dry build runs the builder against a binder that holds no data:
 * every weight the graph asks for (`ctx.weight`, `ctx.read`, `ctx.derived`) is
 * recorded with its shape, and `ctx.has` answers false, so optional tensors (an
 * untied head next to a tied one) are not read. The init rule of each weight
 * comes from the architecture's `_init_weights`, written as one function of
 * (name, shape) over core's default (`PreTrainedModel._init_weights`), and the
 * list is put in the order the Python `__init__`s register modules (the
 * architecture names it), which seeded initialisation and sharded saves follow.
 * (Unlike torch's `state_dict`, a module's own parameters, e.g. BEiT's
 * `lambda_1`, are placed by that order too, not first: the lists keep the order
 * ved has always written.)
 */
import { VedError } from '../errors.js';
import type { DecoderStepIO } from '../contracts.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import type { TensorSource } from '../safetensors/index.js';
import { WeightBinder, type InitRule, type WeightSpec } from '../weights/weight-binder.js';
import { BuildContext } from './context.js';

export interface WeightsFromGraphOptions {
  /** The std of the normal draws of linear, conv and embedding weights (`initializer_range`, BART's `init_std`). */
  std: number;
  /**
   * The architecture's own rules (its `_init_weights` beyond the default), by name relative to
   * the root; undefined leaves the weight to `defaultInit`.
   */
  init?: (name: string, shape: readonly number[]) => InitRule | undefined;
  /**
   * Attribute names in the order the Python modules register them (`state_dict` order), e.g.
   * `['query', 'key', 'value']`; at each level of the name, listed parts come first in this order,
   * numbers (layer indices) in numeric order, other parts in the order the graph first reads them.
   * `weight` before `bias` (torch's order in every module) needs no listing.
   */
  order?: readonly string[];
  /** Checkpoint tensors the graph never reads (e.g. ViT's pooler), placed by the same order. */
  unread?: ReadonlyArray<{ name: string; shape: readonly number[] }>;
}

/**
 * `PreTrainedModel._init_weights` (transformers `modeling_utils.py`) for the
 * modules ved's graphs read: `nn.Linear`, `nn.Conv2d` and `nn.Embedding`
 * weights (rank ≥ 2) N(0, std), every bias 0, `nn.LayerNorm` weights (rank 1) 1.
 * Any other parameter needs the architecture's rule.
 */
export function defaultInit(std: number, name: string, shape: readonly number[]): InitRule | undefined {
  if (name.endsWith('.bias')) return { kind: 'zeros' };
  if (name.endsWith('.weight')) return shape.length === 1 ? { kind: 'ones' } : { kind: 'normal', std };
  return undefined;
}

const dryGraphs = new WeakSet<GraphBuilder>();

/**
 * Whether `g` is the graph of a dry build, which is never run: an architecture may skip
 * computing constants that are not weights there (Swin's shift masks, TrOCR's sinusoidal
 * frequencies), whose size follows the config and which a config too large to load would
 * otherwise allocate before the size check refuses it.
 */
export function isDryBuild(g: GraphBuilder): boolean {
  return dryGraphs.has(g);
}

/** The weights `build` reads from its context (rooted at the architecture), with init rules, in the architecture's order. */
export function weightsFromGraph(build: (ctx: BuildContext) => void, options: WeightsFromGraphOptions): WeightSpec[] {
  const binder = new RecordingBinder();
  const g = new GraphBuilder('weights');
  dryGraphs.add(g);
  build(new BuildContext(g, binder, ''));
  for (const { name, shape } of options.unread ?? []) binder.record(name, shape);
  return stateDictOrder([...binder.shapes.keys()], options.order ?? []).map((name) => {
    const shape = binder.shapes.get(name)!;
    const init = options.init?.(name, shape) ?? defaultInit(options.std, name, shape);
    if (init === undefined) {
      throw new VedError('RUNTIME', `Weight "${name}" (shape [${shape.join(', ')}]) has no init rule: the architecture's init function must name it.`);
    }
    return { name, shape: [...shape], init };
  });
}

/**
 * Step inputs for a dry decoder build (`weightsFromGraph`): value names that
 * are never run, with one cache entry per layer.
 */
export function dryStepIO(layers: number): DecoderStepIO {
  const each = (what: string) => Array.from({ length: layers }, (_, i) => `${what}.${i}`);
  return {
    inputIds: 'input_ids',
    pastLength: 'past_length',
    queryLength: 'query_length',
    pastKeys: each('past_key'),
    pastValues: each('past_value'),
    crossKeys: each('cross_key'),
    crossValues: each('cross_value'),
  };
}

const NO_TENSORS: TensorSource = {
  names: () => [],
  has: () => false,
  info: (name) => {
    throw new VedError('MISSING_WEIGHT', `Weight "${name}" does not exist in a dry build.`);
  },
  getFloat32: (name) => {
    throw new VedError('MISSING_WEIGHT', `Weight "${name}" does not exist in a dry build.`);
  },
  sourceOf: () => 'a dry build',
};

/** A binder with every weight the graph asks for (zeros, shape as asked) and none it only checks for. */
class RecordingBinder extends WeightBinder {
  readonly shapes = new Map<string, readonly number[]>();

  constructor() {
    super(NO_TENSORS);
  }

  record(name: string, shape: readonly number[]): void {
    const seen = this.shapes.get(name);
    if (seen === undefined) this.shapes.set(name, [...shape]);
    else if (seen.length !== shape.length || seen.some((d, i) => d !== shape[i])) {
      throw new VedError('WEIGHT_SHAPE_MISMATCH', `Weight "${name}" is read with shape [${shape.join(', ')}] and with [${seen.join(', ')}] in the same graph.`);
    }
  }

  override resolve(name: string): string {
    return name;
  }

  override has(): boolean {
    return false;
  }

  /** No data: the graph is never run, so its initializers stay empty. */
  override getForGraph(name: string, shape: readonly number[]): Float32Array {
    this.record(name, shape);
    return new Float32Array(0);
  }

  override get(name: string, shape: readonly number[]): Float32Array {
    this.record(name, shape);
    return new Float32Array(shape.reduce((a, b) => a * b, 1));
  }

  override unused(): string[] {
    return [];
  }
}

interface Node {
  first: number;
  leaf: boolean;
  children: Map<string, Node>;
}

/** `names` (in first-use order) as a tree walk whose siblings follow `order`, then numbers, then first use. */
function stateDictOrder(names: readonly string[], order: readonly string[]): string[] {
  const rank = new Map<string, number>();
  for (const part of [...order, 'weight', 'bias']) if (!rank.has(part)) rank.set(part, rank.size);
  const root: Node = { first: 0, leaf: false, children: new Map() };
  names.forEach((name, i) => {
    let node = root;
    for (const part of name.split('.')) {
      let child = node.children.get(part);
      if (child === undefined) node.children.set(part, (child = { first: i, leaf: false, children: new Map() }));
      node = child;
    }
    node.leaf = true;
  });
  const key = ([part, node]: [string, Node]): [number, number] => {
    const r = rank.get(part);
    if (r !== undefined) return [0, r];
    if (/^\d+$/.test(part)) return [1, Number(part)];
    return [2, node.first];
  };
  const out: string[] = [];
  const walk = (node: Node, path: string): void => {
    if (node.leaf) out.push(path);
    const children = [...node.children].map((entry) => ({ entry, k: key(entry) }));
    children.sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1]);
    for (const { entry } of children) walk(entry[1], path === '' ? entry[0] : `${path}.${entry[0]}`);
  };
  walk(root, '');
  return out;
}
