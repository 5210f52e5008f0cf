/** torch.topk's order, ties included, against torch 2.13 (fixtures/generation/topk.json). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { topkIndices } from './torch-topk.js';

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/generation/topk.json', import.meta.url), 'utf8')) as {
  cases: Array<{ values: Array<number | null>; k: number; indices: number[] }>;
};

describe('topkIndices', () => {
  it(`matches torch.topk on ${fixture.cases.length} tie-heavy rows (both of torch's code paths)`, () => {
    let partial = 0;
    for (const c of fixture.cases) {
      const values = c.values.map((v) => (v === null ? -Infinity : v));
      if (c.k * 64 <= values.length) partial++;
      expect(topkIndices(values, c.k), JSON.stringify({ values: c.values, k: c.k })).toEqual(c.indices);
    }
    expect(partial).toBeGreaterThan(0);
  });

  it('takes the same answer on its fast path (no tie in the top k) as the emulation of torch', () => {
    // Rows long enough for the fast path (n >= 256): random, with duplicates planted in and
    // around the top k, -Infinity and NaN, so that both the fast path and its fallback run.
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let t = 0; t < 300; t++) {
      const n = 256 + Math.floor(rand() * 3000);
      const k = 1 + Math.floor(rand() * 12);
      const values = Float32Array.from({ length: n }, () => Math.fround(rand() * 20 - 10));
      const kind = t % 5;
      if (kind === 1) values[Math.floor(rand() * n)] = Math.max(...values); // a tie at the top
      if (kind === 2) for (let i = 0; i < n; i += 3) values[i] = -Infinity;
      if (kind === 3) values.fill(0.5, 0, Math.floor(n / 2)); // many equal values
      if (kind === 4 && t % 2 === 0) values[Math.floor(rand() * n)] = Number.NaN;
      const sorted = Array.from(values, (v, i) => ({ v: Number.isNaN(v) ? Infinity : v, i }));
      sorted.sort((a, b) => b.v - a.v || a.i - b.i);
      const got = topkIndices(values, k);
      expect(got).toHaveLength(k);
      // The values (NaN as largest) are the k largest, best first.
      expect(got.map((i) => (Number.isNaN(values[i]!) ? Infinity : values[i]))).toEqual(sorted.slice(0, k).map((e) => e.v));
      // Where no tie reaches the top k, the answer is unique: the indices agree too.
      const vals = sorted.slice(0, k + 1).map((e) => e.v);
      if (vals.every((v, j) => j === 0 || vals[j - 1]! > v)) expect(got).toEqual(sorted.slice(0, k).map((e) => e.i));
    }
  });

  it('returns the best first and at most n', () => {
    expect(topkIndices([0.5, 3, -1, 2], 2)).toEqual([1, 3]);
    expect(topkIndices([1, 2], 5)).toEqual([1, 0]);
    expect(topkIndices([1, 2], 0)).toEqual([]);
    expect(topkIndices([1, Number.NaN, 2], 1)).toEqual([1]);
  });
});
