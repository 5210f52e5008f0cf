/**
 * TrOCR's sinusoidal position embeddings (`TrOCRSinusoidalPositionalEmbedding`,
 * the tensor2tensor variant): row p is `[sin(p·f_0..f_{h-1}), cos(p·f_0..f_{h-1})]`
 * with `f_i = exp(-i·ln(10000)/(h-1))`, `h = dim/2`, a zero column when `dim`
 * is odd and a zero row at `padding_idx`. Computed in the graph for the
 * positions at hand, with the frequencies rounded to float32 as torch computes
 * them, so any length works (Python grows its table on demand).
 */
import { VedError, type GraphBuilder } from '@ved/core';

/** `exp(arange(h).float() * -(ln(10000) / (h - 1)))` in float32, as torch evaluates it. */
export function sinusoidalFrequencies(dim: number): Float32Array {
  const half = Math.floor(dim / 2);
  if (half < 2) throw new VedError('INVALID_CONFIG', `Sinusoidal positions need "d_model" >= 4, got ${dim}.`);
  // torch multiplies the float32 arange by the Python float rounded to float32.
  const step = Math.fround(-Math.log(10000) / (half - 1));
  return Float32Array.from({ length: half }, (_, i) => Math.exp(Math.fround(i * step)));
}

/** Embeddings [B, T, dim] of int64 position ids [B, T]; positions equal to `paddingIdx` get zeros. */
export function sinusoidalPositionEmbedding(g: GraphBuilder, positionIds: string, dim: number, paddingIdx: number): string {
  const freqs = sinusoidalFrequencies(dim);
  const angles = g.op('Mul', [
    g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: 1 }), g.constInt([-1])]),
    g.constFloat([...freqs], [freqs.length]),
  ]);
  const parts = [g.op('Sin', [angles]), g.op('Cos', [angles])];
  if (dim % 2 === 1) parts.push(g.op('Mul', [g.op('Slice', [angles, g.constInt([0]), g.constInt([1]), g.constInt([-1])]), g.constFloat(0)]));
  const table = g.op('Concat', parts, { axis: -1 });
  const isPad = g.op('Unsqueeze', [g.op('Equal', [positionIds, g.constInt(paddingIdx, [])]), g.constInt([-1])]);
  return g.op('Where', [isPad, g.constFloat(0), table]);
}
