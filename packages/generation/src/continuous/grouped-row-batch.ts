/**
 * A `RowBatchSession` for models whose step graph cannot give each row its
 * own positions (ONNX exports, decoders with their own position code): rows
 * that joined in the same step share their length, so each such group keeps
 * its own ordinary `DecodingSession` and every step runs the groups one after
 * another. Exact, but rows of different groups do not share a graph run.
 */
import { VedError, type DecodingSession, type EncodedImages, type EncoderDecoderLM, type RowBatchSession, type RowSource, type StepLogits } from '@ved/core';

interface Group {
  session: DecodingSession;
  /** Rows of this group, in its session's order. */
  rows: number;
}

export class GroupedRowBatch implements RowBatchSession {
  private groups: Group[] = [];
  /** Caller's row r is row `index` of group `group`. */
  private logical: Array<{ group: Group; index: number }> = [];

  constructor(private readonly model: EncoderDecoderLM) {}

  get rows(): number {
    return this.logical.length;
  }

  /** Number of decoding sessions (rows of different lengths) a step runs. */
  get groupCount(): number {
    return this.groups.length;
  }

  arrange(sources: readonly RowSource[]): void {
    const continuing = new Map<Group, number[]>();
    const fresh = new Map<EncodedImages, number[]>();
    const placed: Array<{ group: Group | EncodedImages; index: number }> = sources.map((source) => {
      if (typeof source === 'number') {
        const at = this.logical[source];
        if (at === undefined) throw new VedError('INVALID_INPUT', `arrange(): row ${source} does not exist (${this.logical.length} rows).`);
        const list = continuing.get(at.group) ?? continuing.set(at.group, []).get(at.group)!;
        list.push(at.index);
        return { group: at.group, index: list.length - 1 };
      }
      const list = fresh.get(source.encoded) ?? fresh.set(source.encoded, []).get(source.encoded)!;
      list.push(source.image);
      return { group: source.encoded, index: list.length - 1 };
    });
    const groups: Group[] = [];
    for (const group of this.groups) {
      const keep = continuing.get(group);
      if (keep === undefined) {
        group.session.dispose();
        continue;
      }
      if (keep.length !== group.rows || keep.some((i, r) => i !== r)) group.session.reorder(keep);
      group.rows = keep.length;
      groups.push(group);
    }
    const created = new Map<EncodedImages, Group>();
    for (const [encoded, images] of fresh) {
      const group = { session: this.model.startDecoding(encoded, images), rows: images.length };
      created.set(encoded, group);
      groups.push(group);
    }
    this.groups = groups;
    this.logical = placed.map(({ group, index }) => ({ group: 'session' in group ? group : created.get(group)!, index }));
  }

  async step(tokens: readonly number[], options: { logProbs?: boolean } = {}): Promise<StepLogits> {
    if (tokens.length !== this.logical.length) throw new VedError('INVALID_INPUT', `step() got ${tokens.length} tokens, expected one per row (${this.logical.length}).`);
    const feeds = new Map(this.groups.map((g) => [g, new Array<number[]>(g.rows)]));
    this.logical.forEach(({ group, index }, r) => (feeds.get(group)![index] = [tokens[r]!]));
    const results = new Map<Group, StepLogits>();
    for (const group of this.groups) results.set(group, await group.session.step(feeds.get(group)!, options.logProbs ? { logProbs: true } : {}));
    const vocab = results.values().next().value?.vocab ?? 0;
    const rows = this.logical.length;
    const data = new Float32Array(rows * vocab);
    const wantLogProbs = options.logProbs === true && [...results.values()].every((s) => s.logProbs !== undefined);
    const logProbs = wantLogProbs ? new Float32Array(rows * vocab) : undefined;
    this.logical.forEach(({ group, index }, r) => {
      const out = results.get(group)!;
      data.set(out.data.subarray(index * vocab, (index + 1) * vocab), r * vocab);
      logProbs?.set(out.logProbs!.subarray(index * vocab, (index + 1) * vocab), r * vocab);
    });
    return { data, rows, positions: 1, vocab, ...(logProbs ? { logProbs } : {}) };
  }

  dispose(): void {
    for (const group of this.groups) group.session.dispose();
    this.groups = [];
    this.logical = [];
  }
}
