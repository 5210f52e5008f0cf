/** torch.topk's order, ties included, against torch 2.13 (fixtures/generation/topk.json). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { distinctTopkShifted, topkIndices } from './torch-topk.js';

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

describe('distinctTopkShifted', () => {
  it('is topkIndices of the rows plus their shifts in float32, or undefined where a tie or NaN decides', () => {
    let seed = 11;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let fast = 0;
    for (let t = 0; t < 200; t++) {
      const beams = 1 + (t % 4);
      const width = 64 + Math.floor(rand() * 500);
      const rows = Array.from({ length: beams }, () => Float32Array.from({ length: width }, () => Math.fround(Math.log(rand()) * 3)));
      // Beam search's shifts: running scores, the first beams of a new image at 0 and -1e9.
      const shifts = rows.map((_, j) => (t % 3 === 0 ? (j === 0 ? 0 : Math.fround(-1e9)) : Math.fround(-rand() * 5)));
      if (t % 7 === 1) rows[0]![3] = rows[0]![5]!; // a planted tie (in the top k or not)
      if (t % 11 === 2) rows[beams - 1]![Math.floor(rand() * width)] = Number.NaN;
      if (t % 13 === 3) rows[0]!.fill(-Infinity, 0, width - 2); // fewer finite values than k
      const k = 2 * beams;
      const accumulated = new Float32Array(beams * width);
      rows.forEach((r, j) => r.forEach((v, i) => (accumulated[j * width + i] = v + shifts[j]!)));
      const got = distinctTopkShifted(rows, shifts, k);
      if (got === undefined) {
        // Only when the top k + 1 are not all distinct (or a NaN is present).
        const top = topkIndices(accumulated, k + 1).map((i) => accumulated[i]!);
        expect(accumulated.some(Number.isNaN) || top.some((v, j) => j > 0 && !(top[j - 1]! > v))).toBe(true);
      } else {
        fast++;
        expect(got).toEqual(topkIndices(accumulated, k));
      }
    }
    expect(fast).toBeGreaterThan(100);
  });
});
