/**
 * Token and position embeddings shared by the text decoders: the two position
 * schemes of transformers (sequential `past + arange(T)`, and fairseq's
 * padding-aware `make_positions` used by RoBERTa and TrOCR's sinusoidal
 * table), and `nn.Embedding(padding_idx=…)`: its lookup and its initialisation.
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { InitRule } from '../weights/weight-binder.js';

/**
 * Per-row past lengths of a step graph whose rows share one cache but hold
 * different numbers of their own tokens (continuous batching: a row that joined
 * later sits behind masked padding at the start of the cache). The step graph
 * registers, for its scalar `pastLength`, a provider of an int64 [B, 1] tensor;
 * the position helpers below then count each row from its own length. A decoder
 * that derives positions another way never asks, so the graph gets no per-row
 * input and its rows must share their length.
 */
const perRowPast = new WeakMap<GraphBuilder, { scalar: string; provide: () => string }>();

export function providePerRowPastLength(g: GraphBuilder, pastLength: string, provide: () => string): void {
  perRowPast.set(g, { scalar: pastLength, provide });
}

/** The per-row [B, 1] past lengths registered for `pastLength`, else `pastLength` itself. */
function pastOf(g: GraphBuilder, pastLength: string): { value: string; perRow: boolean } {
  const p = perRowPast.get(g);
  return p !== undefined && p.scalar === pastLength ? { value: p.provide(), perRow: true } : { value: pastLength, perRow: false };
}

/**
 * Positions `past + offset + arange(T)`, int64 [T] (GPT-2, BERT; BART and
 * TrOCR's learned table with `offset` 2); [B, T] when the graph gives each row
 * its own past length.
 */
export function sequentialPositionIds(g: GraphBuilder, pastLength: string, queryLength: string, offset = 0): string {
  const past = pastOf(g, pastLength);
  const start = offset === 0 ? past.value : g.op('Add', [past.value, g.constInt(offset, [])]);
  if (past.perRow) return g.op('Add', [start, g.op('Range', [g.constInt(0, []), queryLength, g.constInt(1, [])])]);
  return g.op('Range', [start, g.op('Add', [start, queryLength]), g.constInt(1, [])]);
}

/**
 * Padding-aware positions, int64 [B, T]:
 * `(cumsum(ids != pad) + past) * (ids != pad) + pad`, so real tokens count
 * from `pad + 1` and pad tokens sit at `pad`. As in transformers with a cache,
 * only the new tokens are counted (a pad token earlier in the cache does not
 * shift later positions), which is what `create_position_ids_from_input_ids`
 * computes with `past_key_values_length`.
 */
export function paddingAwarePositionIds(g: GraphBuilder, inputIds: string, paddingIdx: number, pastLength: string): string {
  const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', [inputIds, g.constInt(paddingIdx, [])])])], { to: 7 }); // int64
  const counted = g.op('Add', [g.op('CumSum', [notPad, g.constInt(1, [])]), pastOf(g, pastLength).value]);
  return g.op('Add', [g.op('Mul', [counted, notPad]), g.constInt(paddingIdx, [])]);
}

/**
 * `nn.Embedding(rows, dim, padding_idx)(ids)`: a Gather of the table. The lookups of `paddingIdx` give
 * the table no gradient in a training graph, as torch's `embedding_backward` skips them (the row
 * still gets what other uses give it, e.g. a tied LM head's).
 */
export function embeddingLookup(g: GraphBuilder, table: string, ids: string, paddingIdx: number | undefined): string {
  return g.op('Gather', [table, ids], {}, paddingIdx === undefined ? {} : { paddingIdx });
}

/**
 * `nn.Embedding(rows, dim, padding_idx)` as `_init_weights` leaves it:
 * N(0, std) everywhere, the padding row zeroed.
 */
export function embeddingInit(std: number, paddingIdx: number | undefined, dim: number): InitRule {
  if (paddingIdx === undefined) return { kind: 'normal', std };
  return {
    kind: 'custom',
    fill: (data, rng) => {
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
      data.fill(0, paddingIdx * dim, (paddingIdx + 1) * dim);
    },
  };
}
