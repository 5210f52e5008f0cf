/**
 * Multi-head attention pieces: head split/merge, scaled dot-product attention
 * with an additive mask, and the causal mask for a decoder step that follows
 * `pastLength` cached positions.
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';

/** [B, T, heads*headDim] → [B, heads, T, headDim]. */
export function splitHeads(g: GraphBuilder, x: string, heads: number, headDim: number): string {
  const r = g.op('Reshape', [x, g.constInt([0, 0, heads, headDim])]);
  return g.op('Transpose', [r], { perm: [0, 2, 1, 3] });
}

/** [B, heads, T, headDim] → [B, T, heads*headDim]. */
export function mergeHeads(g: GraphBuilder, x: string, hidden: number): string {
  const t = g.op('Transpose', [x], { perm: [0, 2, 1, 3] });
  return g.op('Reshape', [t, g.constInt([0, 0, hidden])]);
}

export interface AttentionOptions {
  /** Multiplier of q·k (usually headDim^-0.5). */
  scale: number;
  /** Additive mask broadcastable to [B, heads, Tq, Tk]. */
  mask?: string;
  /** Additive bias broadcastable to [B, heads, Tq, Tk] (relative position bias). */
  bias?: string;
  /** Applied to the attention probabilities (train-mode attention dropout, `nn/dropout.ts`). */
  dropout?: (probs: string) => string;
}

/** softmax(q k^T * scale + bias + mask) v, with q [B,h,Tq,d], k/v [B,h,Tk,d]. */
export function scaledDotProductAttention(g: GraphBuilder, q: string, k: string, v: string, opts: AttentionOptions): string {
  const kt = g.op('Transpose', [k], { perm: [0, 1, 3, 2] });
  let scores = g.op('Mul', [g.op('MatMul', [q, kt]), g.constFloat(opts.scale)]);
  if (opts.bias !== undefined) scores = g.op('Add', [scores, opts.bias]);
  if (opts.mask !== undefined) scores = g.op('Add', [scores, opts.mask]);
  let probs = g.op('Softmax', [scores], { axis: -1 });
  if (opts.dropout !== undefined) probs = opts.dropout(probs);
  return g.op('MatMul', [probs, v]);
}

/**
 * How a decoder step's rows share cross keys/values (`DecoderStepIO.crossGroups`): the keys/values
 * hold G rows, G divides the step's B rows, and rows g·r … g·r + r − 1 (r = B / G) read key row g.
 * The beams of one image then read its keys once. `shapes()` gives the int64 shapes that regroup
 * the queries: `split` = [G, -1, heads, headDim], `merge` = [B, T, heads·headDim].
 */
export interface CrossGroups {
  readonly heads: number;
  readonly headDim: number;
  shapes(): { split: string; merge: string };
}

export interface CrossAttentionOptions extends Pick<AttentionOptions, 'scale' | 'dropout'> {
  heads: number;
  headDim: number;
  /** Shared cross keys/values (ved's decoder step graph); without it, key row b serves row b. */
  groups?: CrossGroups | undefined;
}

/**
 * Cross-attention (no mask) of queries q [B, T, heads·d] over keys/values [G, heads, N, d] →
 * [B, T, heads·d]: `splitHeads` + `scaledDotProductAttention` + `mergeHeads`. With `groups`, the
 * r rows of a group become r·T queries of one product ([G, r·T, heads, d] is a reshape of q's
 * memory, so no more nodes than the ungrouped form); with G = B it is the same computation.
 */
export function crossAttention(g: GraphBuilder, q: string, key: string, value: string, opts: CrossAttentionOptions): string {
  const { heads, headDim, groups } = opts;
  const attend = (query: string) => scaledDotProductAttention(g, query, key, value, { scale: opts.scale, ...(opts.dropout ? { dropout: opts.dropout } : {}) });
  if (groups === undefined) return mergeHeads(g, attend(splitHeads(g, q, heads, headDim)), heads * headDim);
  if (groups.heads !== heads || groups.headDim !== headDim) {
    throw new Error(`crossAttention: ${heads} heads of ${headDim} do not match the step graph's cache layout (${groups.heads} of ${groups.headDim}).`);
  }
  const { split, merge } = groups.shapes();
  const grouped = g.op('Transpose', [g.op('Reshape', [q, split])], { perm: [0, 2, 1, 3] }); // [G, heads, r·T, d]
  return g.op('Reshape', [g.op('Transpose', [attend(grouped)], { perm: [0, 2, 1, 3] }), merge]);
}

export interface FusedAttentionOptions {
  heads: number;
  /** Multiplier of q·k (usually headDim^-0.5). */
  scale: number;
  /** Additive bias broadcastable to [1 or B, heads, Tq, Tk] (relative position bias, masks), given as [.., heads, Tq, Tk]. */
  bias?: string;
}

/**
 * softmax(q k^T * scale + bias) v per head, with q [B,Tq,heads*d], k/v [B,Tk,heads*d] →
 * [B,Tq,heads*d]: `splitHeads` + `scaledDotProductAttention` + `mergeHeads` as one
 * onnxruntime `com.microsoft.MultiHeadAttention` (CPU and WebAssembly kernels; on the CPU it
 * runs MLAS's flash attention, which never writes the [Tq, Tk] scores out). Inference graphs
 * only: training differentiates the decomposed form (see `BuildContext.fusedKernels`).
 */
export function fusedAttention(g: GraphBuilder, q: string, k: string, v: string, opts: FusedAttentionOptions): string {
  const inputs = [q, k, v];
  if (opts.bias !== undefined) inputs.push('', '', opts.bias);
  return g.op('MultiHeadAttention', inputs, { num_heads: opts.heads, scale: { float: opts.scale } }, { domain: 'com.microsoft' });
}

/** The lowest float32, which torch uses for masked positions. */
export const MASK_VALUE = -3.4028234663852886e38;

/**
 * Additive causal mask [1, 1, T, P+T] for queries at positions P..P+T-1 over
 * keys 0..P+T-1, where P = `pastLength` (int64 scalar) and T = `queryLength`.
 * Optionally combined with a [B, P+T] padding mask (1 = attend).
 */
export function causalMask(g: GraphBuilder, pastLength: string, queryLength: string, attentionMask?: string): string {
  const total = g.op('Add', [pastLength, queryLength]);
  const qPos = g.op('Unsqueeze', [g.op('Range', [pastLength, total, g.constInt(1, [])]), g.constInt([1])]); // [T,1]
  const kPos = g.op('Unsqueeze', [g.op('Range', [g.constInt(0, []), total, g.constInt(1, [])]), g.constInt([0])]); // [1,P+T]
  let allowed = g.op('LessOrEqual', [kPos, qPos]); // [T, P+T]
  allowed = g.op('Unsqueeze', [allowed, g.constInt([0, 1])]); // [1,1,T,P+T]
  if (attentionMask !== undefined) {
    const pad = g.op('Cast', [g.op('Unsqueeze', [attentionMask, g.constInt([1, 2])])], { to: 9 }); // [B,1,1,P+T] bool
    allowed = g.op('And', [allowed, pad]);
  }
  return g.op('Where', [allowed, g.constFloat(0), g.constFloat(MASK_VALUE)]);
}

/** Appends new keys/values [B,h,T,d] to a cache [B,h,P,d] along the time axis; `past` '' is no cache (training graphs). */
export function appendToCache(g: GraphBuilder, past: string, current: string): string {
  if (past === '') return current;
  return g.op('Concat', [past, current], { axis: 2 });
}
