/**
 * Gradient of Gather with respect to its data (embedding tables, bias
 * tables): the output gradient scattered back into zeros at the gathered
 * indices, summing repeats (ScatterND with reduction "add", opset 16), as
 * torch's embedding backward does (dense), skipping the lookups of a
 * `paddingIdx` the node was built with (`embeddingLookup`), as torch's does
 * for `nn.Embedding(padding_idx=…)`. Indices get no gradient.
 */
import { VedError } from '../../errors.js';
import type { GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';

const gatherGradient: GradientRule = (ctx, [dy]) => {
  const { g, node } = ctx;
  if (!ctx.needs(0)) return [undefined, undefined];
  const [data, indices] = node.inputs as [string, string];
  const rank = ctx.info(data).dims?.length;
  const q = ctx.info(indices).dims?.length;
  if (rank === undefined || q === undefined) {
    throw new VedError('INVALID_INPUT', `Cannot differentiate Gather "${node.outputs[0]}": the rank of its data or indices is unknown.`);
  }
  const axis0 = intAttr(node, 'axis', 0);
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  const index = g.op('Unsqueeze', [indices, g.constInt([-1])]);
  let dyKept = dy!;
  if (node.paddingIdx !== undefined) {
    if (axis !== 0) throw new VedError('INVALID_INPUT', `Gather "${node.outputs[0]}": a padding index applies to axis 0 only (an embedding table's rows).`);
    // dY is [indices…, dim]: zero the rows looked up at the padding index.
    const isPad = g.op('Unsqueeze', [g.op('Equal', [indices, g.constInt(node.paddingIdx, [])]), g.constInt([-1])]);
    dyKept = g.op('Where', [isPad, ctx.scalar(0, dy!), dy!]);
  }
  if (axis === 0) return [g.op('ScatterND', [ctx.zerosLike(data), index, dyKept], { reduction: 'add' }), undefined];
  // Gathering along another axis: scatter into the table with that axis moved to the front.
  const perm = [axis, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis)];
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  const front = g.op('Transpose', [data], { perm });
  // dY is [data[:axis], indices, data[axis+1:]]: move the index axes to the front.
  const outRank = rank - 1 + q;
  const dyPerm = [
    ...Array.from({ length: q }, (_, i) => axis + i),
    ...Array.from({ length: axis }, (_, i) => i),
    ...Array.from({ length: outRank - axis - q }, (_, i) => axis + q + i),
  ];
  const updates = g.op('Transpose', [dy!], { perm: dyPerm });
  const scattered = g.op('ScatterND', [ctx.zerosLike(front), index, updates], { reduction: 'add' });
  return [g.op('Transpose', [scattered], { perm: inverse }), undefined];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const gatherGradients: Record<string, GradientRule> = {
  Gather: gatherGradient,
};
