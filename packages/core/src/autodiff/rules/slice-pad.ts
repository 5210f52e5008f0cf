/**
 * Gradients of Slice and Pad, each other's inverse: a slice's gradient is
 * zero-padded back to the input's extent along the sliced axes (Pad with its
 * `axes` input, opset 18, so other axes may stay symbolic); a constant pad's
 * gradient is sliced back out. Static where the bounds are known; otherwise
 * the pads are computed from the input's shape at run time. Slices with a step
 * other than 1 and non-constant pads are not differentiated.
 */
import { VedError } from '../../errors.js';
import type { Dim } from '../../onnx/graph-builder.js';
import type { GradientContext, GradientRule } from '../gradient-rule.js';

const BIG = 2 ** 62;

function fail(ctx: GradientContext, why: string): never {
  throw new VedError('INVALID_INPUT', `Cannot differentiate ${ctx.node.type} "${ctx.node.outputs[0]}": ${why}.`);
}

/** Static begin/end pads of a step-1 slice, or undefined when they depend on run-time sizes. */
function staticPads(start: Dim, end: Dim, dim: Dim | undefined): [number, number] | undefined {
  if (typeof start !== 'number' || typeof end !== 'number') return undefined;
  if (typeof dim === 'number') {
    const s = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim);
    const e = Math.min(Math.max(end < 0 ? end + dim : end, 0), dim);
    return [s, dim - Math.max(e, s)];
  }
  if (start >= 0 && end >= BIG) return [start, 0];
  return undefined;
}

const sliceGradient: GradientRule = (ctx, [dy]) => {
  const { g, node } = ctx;
  const [x, startsV, endsV, axesV, stepsV] = node.inputs as [string, string, string, string | undefined, string | undefined];
  const dims = ctx.info(x).dims;
  const starts = ctx.info(startsV).ints;
  const ends = ctx.info(endsV).ints;
  const rank = dims?.length;
  const axesRaw = axesV ? ctx.info(axesV).ints : starts?.map((_, i) => i);
  const steps = stepsV ? ctx.info(stepsV).ints : starts?.map(() => 1);
  if (rank === undefined || axesRaw === undefined || axesRaw.some((a) => typeof a !== 'number')) fail(ctx, 'its axes or the input rank are not known when the graph is built');
  if (steps === undefined || steps.some((s) => s !== 1)) fail(ctx, 'only slices with step 1 are differentiated');
  const axes = (axesRaw as number[]).map((a) => (a < 0 ? a + rank : a));
  const pads = starts && ends ? axes.map((a, i) => staticPads(starts[i]!, ends[i]!, dims![a])) : undefined;
  if (pads !== undefined && pads.every((p) => p !== undefined)) {
    const list = pads as Array<[number, number]>;
    if (list.every(([b, e]) => b === 0 && e === 0)) return [dy];
    return [g.op('Pad', [dy!, g.constInt([...list.map((p) => p[0]), ...list.map((p) => p[1])]), '', g.constInt(axes)])];
  }
  // Run-time pads: begin = clamp(start), end = dim - clamp(end), clamping as Slice does.
  const dimsAt = g.op('Gather', [g.op('Shape', [x]), g.constInt(axes)]);
  const zero = g.constInt(0, []);
  const norm = (v: string) => {
    const shifted = g.op('Where', [g.op('Less', [v, zero]), g.op('Add', [v, dimsAt]), v]);
    return g.op('Min', [g.op('Max', [shifted, zero]), dimsAt]);
  };
  const s = norm(startsV);
  const e = g.op('Max', [norm(endsV), s]);
  return [g.op('Pad', [dy!, g.op('Concat', [s, g.op('Sub', [dimsAt, e])], { axis: 0 }), '', g.constInt(axes)])];
};

const padGradient: GradientRule = (ctx, [dy]) => {
  const { g, node } = ctx;
  const mode = node.attrs.mode ?? 'constant';
  if (mode !== 'constant') fail(ctx, `only constant padding is differentiated, not mode "${String(mode)}"`);
  const [x, padsV, , axesV] = node.inputs as [string, string, string | undefined, string | undefined];
  const pads = ctx.info(padsV).ints;
  const rank = ctx.info(x).dims?.length;
  if (pads === undefined || pads.some((p) => typeof p !== 'number' || p < 0) || rank === undefined) {
    fail(ctx, 'its pads must be non-negative constants');
  }
  const axesRaw = axesV ? ctx.info(axesV).ints : Array.from({ length: rank }, (_, i) => i);
  if (axesRaw === undefined || axesRaw.some((a) => typeof a !== 'number')) fail(ctx, 'its axes must be constants');
  const axes = (axesRaw as number[]).map((a) => (a < 0 ? a + rank : a));
  const n = axes.length;
  const p = pads as number[];
  const used = axes.map((_, i) => i).filter((i) => p[i] !== 0 || p[i + n] !== 0);
  if (used.length === 0) return [dy];
  const starts = used.map((i) => p[i]!);
  const ends = used.map((i) => (p[i + n]! > 0 ? -p[i + n]! : BIG));
  return [g.op('Slice', [dy!, g.constInt(starts), g.constInt(ends), g.constInt(used.map((i) => axes[i]!))])];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const slicePadGradients: Record<string, GradientRule> = {
  Slice: sliceGradient,
  Pad: padGradient,
};
