/**
 * Reverse-mode differentiation of a graph built with `GraphBuilder`: walks the
 * nodes from the output back to the requested inputs and appends, through
 * each op's gradient rule, the nodes that compute the gradients. Gradients of
 * a value used several times are summed (one `Sum` node), which is also how
 * tied weights receive the sum of both uses, as torch autograd does.
 *
 * Only values that depend on a requested input and lie on a path to the
 * output are differentiated; shape computations, indices and masks get no
 * gradient (see `NON_DIFFERENTIABLE`).
 */
import { VedError } from '../errors.js';
import type { Dim, GraphBuilder, NodeRecord } from '../onnx/graph-builder.js';
import { dimEquals } from './dims.js';
import { FLOAT_TYPES, NON_DIFFERENTIABLE, registeredGradient, ruleKey, zeroTensorAttr, type GradientContext, type GradientRule } from './gradient-rule.js';
import { ShapeTable, type ValueInfo } from './shape-inference.js';
import { attentionChains, emitRecompute } from './recompute.js';
import { BUILTIN_GRADIENTS } from './rules/index.js';

function gradientRule(type: string, domain: string): GradientRule | undefined {
  return registeredGradient(type, domain) ?? BUILTIN_GRADIENTS[ruleKey(type, domain)];
}

export interface BackwardOptions {
  /** The gradient of `output` (default: the constant 1, for a scalar output). */
  seed?: string;
  /**
   * Compute the attention probabilities again in the backward instead of keeping them from the
   * forward (see recompute.ts): less memory, one more q·kᵀ product and softmax per attention.
   */
  recomputeAttention?: boolean;
}

/**
 * Appends to `g` the gradient of `output` with respect to each of `wrt`
 * (graph inputs or any values). Returns the gradient value of each; a value
 * that `output` does not depend on is absent from the map.
 */
export function addGradients(g: GraphBuilder, output: string, wrt: readonly string[], options: BackwardOptions = {}): Map<string, string> {
  const shapes = new ShapeTable(g);
  const nodes = [...g.nodeRecords];
  const active = activeValues(nodes, wrt, shapes);
  const pending = new Map<string, string[]>();
  const done = new Map<string, string | undefined>();
  const chains = options.recomputeAttention ? attentionChains(g, shapes) : new Map();
  const recomputed = new Map<string, string>();
  const original = new Map<string, string>();
  const outType = shapes.info(output).type;
  pending.set(output, [options.seed ?? g.constFloat(1, [], outType === 'float64' ? 'float64' : 'float32')]);

  const total = (value: string): string | undefined => {
    if (done.has(value)) return done.get(value);
    const parts = pending.get(value);
    const grad = parts === undefined ? undefined : parts.length === 1 ? parts[0]! : g.op('Sum', parts);
    done.set(value, grad);
    pending.delete(value);
    return grad;
  };

  g.scope('grad', () => {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!node.outputs.some((o) => pending.has(o))) continue;
      const needs = node.inputs.map((v) => v !== '' && active.has(v));
      if (!needs.some(Boolean)) continue;
      const outputGrads = node.outputs.map(total);
      const rule = gradientRule(node.type, node.domain);
      if (rule === undefined) {
        throw new VedError(
          'INVALID_INPUT',
          `No gradient rule for the ONNX op ${node.domain ? `${node.domain}.` : ''}${node.type} (output "${node.outputs[0]}"); ` +
            'training needs one for every op between the weights and the loss (see docs/training.md, "Gradients").',
        );
      }
      // Probabilities recomputed here, after this node's output gradient, are read instead of the forward's.
      const after = outputGrads.find((v) => v !== undefined)!;
      const use = (v: string) => {
        const chain = chains.get(v);
        if (chain === undefined) return v;
        let copy = recomputed.get(v);
        if (copy === undefined) {
          copy = emitRecompute(g, shapes, chain, after);
          recomputed.set(v, copy);
          original.set(copy, v);
        }
        return copy;
      };
      const seen = chains.size > 0 && [...node.inputs, ...node.outputs].some((v) => chains.has(v));
      const ruleNode = seen ? { ...node, inputs: node.inputs.map(use), outputs: node.outputs.map(use) } : node;
      const grads = rule(context(g, ruleNode, needs, shapes, original), outputGrads);
      node.inputs.forEach((input, k) => {
        const grad = grads[k];
        if (grad === undefined || !needs[k]) return;
        const list = pending.get(input);
        if (list === undefined) pending.set(input, [grad]);
        else list.push(grad);
      });
    }
  });
  const result = new Map<string, string>();
  for (const v of wrt) {
    const grad = total(v);
    if (grad !== undefined) result.set(v, grad);
  }
  return result;
}

/** Values that depend on `wrt` through differentiable ops, in a float type. */
function activeValues(nodes: readonly NodeRecord[], wrt: readonly string[], shapes: ShapeTable): Set<string> {
  const active = new Set(wrt);
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.type) || !n.inputs.some((v) => active.has(v))) continue;
    for (const o of n.outputs) {
      const type = shapes.info(o).type;
      // Unknown types (ops shape inference does not know) stay active: a missing rule is then reported.
      if (type === undefined || FLOAT_TYPES.has(type)) active.add(o);
    }
  }
  return active;
}

function context(g: GraphBuilder, node: NodeRecord, needs: boolean[], shapes: ShapeTable, original: ReadonlyMap<string, string>): GradientContext {
  const info = (v: string): ValueInfo => shapes.info(original.get(v) ?? v);
  const floatType = (v: string): 'float32' | 'float64' => (info(v).type === 'float64' ? 'float64' : 'float32');
  const shapeOf = (v: string): string => {
    const dims = info(v).dims;
    if (dims !== undefined && dims.every((d) => typeof d === 'number')) return g.constInt(dims as number[]);
    return g.op('Shape', [v]);
  };
  return {
    g,
    node,
    info,
    needs: (i) => needs[i] === true,
    scalar: (value, like) => g.constFloat(value, [], floatType(like)),
    shapeOf,
    zerosLike: (v) => {
      const type = floatType(v);
      return g.op('ConstantOfShape', [shapeOf(v)], type === 'float32' ? {} : { value: zeroTensorAttr(type) });
    },
    unbroadcast: (grad, input, output) => unbroadcast(g, info, grad, input, output),
  };
}

/**
 * Sums `grad` (shaped like `output`, the broadcast result) down to the shape
 * of `input`: over the leading axes `input` lacks and over the axes where
 * `input` has size 1. Decided statically when both shapes are known, else at
 * run time from the shapes.
 */
function unbroadcast(g: GraphBuilder, info: (v: string) => ValueInfo, grad: string, input: string, output: string | readonly Dim[]): string {
  const inDims = info(input).dims;
  const outDims = typeof output === 'string' ? info(output).dims : output;
  if (inDims === undefined || outDims === undefined) {
    throw new VedError('INVALID_INPUT', `Cannot differentiate through broadcasting to "${String(output)}": the rank of "${input}" or of the result is unknown.`);
  }
  const lead = outDims.length - inDims.length;
  const leading = Array.from({ length: lead }, (_, i) => i);
  const inner: number[] = [];
  let dynamic = false;
  inDims.forEach((d: Dim, i) => {
    const o = outDims[lead + i]!;
    if (dimEquals(d, o)) return;
    if (d === 1) inner.push(lead + i);
    else dynamic = true;
  });
  if (dynamic) return dynamicUnbroadcast(g, grad, input, leading);
  if (inner.length === 0 && leading.length === 0) return grad;
  if (inner.length === 0) return g.op('ReduceSum', [grad, g.constInt(leading)], { keepdims: 0 });
  const summed = g.op('ReduceSum', [grad, g.constInt([...leading, ...inner])], { keepdims: 1 });
  return leading.length === 0 ? summed : g.op('Squeeze', [summed, g.constInt(leading)]);
}

function dynamicUnbroadcast(g: GraphBuilder, grad: string, input: string, leading: number[]): string {
  const reduced = leading.length === 0 ? grad : g.op('ReduceSum', [grad, g.constInt(leading)], { keepdims: 0 });
  const inShape = g.op('Shape', [input]);
  const gradShape = g.op('Shape', [reduced]);
  const one = g.constInt(1, []);
  const axesMask = g.op('And', [g.op('Equal', [inShape, one]), g.op('Not', [g.op('Equal', [gradShape, one])])]);
  const axes = g.op('Reshape', [g.op('NonZero', [axesMask]), g.constInt([-1])]);
  return g.op('ReduceSum', [reduced, axes], { keepdims: 1, noop_with_empty_axes: 1 });
}
