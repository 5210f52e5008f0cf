/**
 * Recomputation in the backward ("activation checkpointing" of one chain):
 * attention probabilities softmax(q·kᵀ·scale + bias + mask) are the largest
 * values a training graph keeps for its backward ([batch, heads, T, T] per
 * layer, 61 MiB each for DeiT-small at 384² and batch 8), and they are cheap
 * to compute again from q and kᵀ, which the backward keeps anyway. PyTorch's
 * `scaled_dot_product_attention` CPU kernel (flash attention) does the same:
 * it keeps a log-sum-exp per row and recomputes the probabilities.
 *
 * A recomputed chain is a copy of the forward's nodes, emitted where the
 * backward first needs the probabilities, and made to depend on a gradient
 * of that point (an exact zero derived from it is added to q): without that
 * dependency onnxruntime's common-subexpression elimination merges the copy
 * back into the forward, and its scheduler may run it early.
 */
import type { Dim, GraphBuilder, NodeRecord } from '../onnx/graph-builder.js';
import { dimEquals } from './dims.js';
import type { ShapeTable } from './shape-inference.js';

/** The forward nodes that compute one recomputable value, in graph order, ending with its producer. */
export interface RecomputeChain {
  readonly nodes: readonly NodeRecord[];
  /** The inputs the chain reads that it does not compute (kept for the backward anyway, or small). */
  readonly leaves: readonly string[];
}

/** Ops a probability chain may contain between the q·kᵀ product and the softmax. */
const CHAIN_OPS = new Set(['MatMul', 'Mul', 'Div', 'Add', 'Sub', 'Softmax']);

const sameDims = (a: readonly Dim[] | undefined, b: readonly Dim[]) => a !== undefined && a.length === b.length && a.every((d, i) => dimEquals(d, b[i]!));

/**
 * The attention probabilities worth recomputing: outputs of `Softmax` over a
 * chain MatMul(q, kᵀ) → Mul/Div (scale) → Add (bias, mask) → Softmax in which
 * every intermediate is shaped like the probabilities and every other input is
 * a constant, a graph input or a value of a different (smaller) shape, and
 * whose key length is a known number larger than the head size (so that the
 * probabilities are larger than q; decoder self-attention over a symbolic
 * label length is left as it is).
 */
export function attentionChains(g: GraphBuilder, shapes: ShapeTable): Map<string, RecomputeChain> {
  const producer = new Map<string, NodeRecord>();
  for (const n of g.nodeRecords) for (const o of n.outputs) producer.set(o, n);
  const chains = new Map<string, RecomputeChain>();
  for (const softmax of g.nodeRecords) {
    if (softmax.type !== 'Softmax' || softmax.domain !== '') continue;
    const probs = softmax.outputs[0]!;
    const dims = shapes.info(probs).dims;
    if (dims === undefined || dims.length < 2) continue;
    const nodes: NodeRecord[] = [softmax];
    const leaves: string[] = [];
    let value = softmax.inputs[0]!;
    let ok = true;
    for (;;) {
      const node = producer.get(value);
      if (node === undefined || node.domain !== '' || !CHAIN_OPS.has(node.type) || node.type === 'Softmax' || !sameDims(shapes.info(value).dims, dims)) {
        ok = false;
        break;
      }
      nodes.unshift(node);
      if (node.type === 'MatMul') {
        leaves.unshift(...node.inputs);
        break;
      }
      // Elementwise: continue along the input shaped like the probabilities; the other is a leaf.
      const along = node.inputs.filter((i) => sameDims(shapes.info(i).dims, dims) && producer.has(i));
      if (along.length !== 1) {
        ok = false;
        break;
      }
      leaves.push(...node.inputs.filter((i) => i !== along[0]));
      value = along[0]!;
    }
    if (!ok) continue;
    const [q] = nodes[0]!.inputs;
    const qDims = shapes.info(q!).dims;
    const keys = dims[dims.length - 1]!;
    const head = qDims?.[qDims.length - 1];
    if (typeof keys !== 'number' || typeof head !== 'number' || keys <= head) continue;
    // Leaves other than q and kᵀ must not be shaped like the probabilities (they would be kept alive instead).
    if (leaves.slice(2).some((l) => producer.has(l) && sameDims(shapes.info(l).dims, dims))) continue;
    chains.set(probs, { nodes, leaves });
  }
  return chains;
}

const CAST_TO = { float32: 1, float64: 11 } as const;

/**
 * Emits a copy of `chain` that runs after `after` (a backward value) is
 * computed, and returns the copy's final value. The first leaf of the chain
 * (q) receives an exact zero computed from `after`: `Cast(Less(s, s))` of one
 * element s of it, which is 0 whatever s is (NaN included).
 */
export function emitRecompute(g: GraphBuilder, shapes: ShapeTable, chain: RecomputeChain, after: string): string {
  const first = chain.nodes[0]!.inputs[0]!;
  const type = shapes.info(first).type === 'float64' ? 'float64' : 'float32';
  const one = g.op('Gather', [g.op('Reshape', [after, g.constInt([-1])]), g.constInt(0, [])], { axis: 0 });
  const zero = g.op('Cast', [g.op('Less', [one, one])], { to: CAST_TO[type] });
  const renamed = new Map<string, string>([[first, g.op('Add', [first, zero])]]);
  let last = '';
  for (const node of chain.nodes) {
    const inputs = node.inputs.map((i) => renamed.get(i) ?? i);
    const [out] = g.opMulti(node.type, inputs, { ...node.attrs }, { domain: node.domain, outputs: node.outputs.length });
    renamed.set(node.outputs[0]!, out!);
    last = out!;
  }
  return last;
}
