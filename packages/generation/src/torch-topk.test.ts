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

  it('returns the best first and at most n', () => {
    expect(topkIndices([0.5, 3, -1, 2], 2)).toEqual([1, 3]);
    expect(topkIndices([1, 2], 5)).toEqual([1, 0]);
    expect(topkIndices([1, 2], 0)).toEqual([]);
    expect(topkIndices([1, Number.NaN, 2], 1)).toEqual([1]);
  });
});
