import { describe, expect, it } from 'vitest';
import { median, summarize } from './stats.js';

describe('summarize', () => {
  it('gives median, range and quartiles (numpy linear interpolation)', () => {
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4 });
    const s = summarize([4, 1, 3, 2])!;
    expect([s.median, s.q1, s.q3]).toEqual([2.5, 1.75, 3.25]);
  });

  it('handles one value and none', () => {
    expect(summarize([7])).toEqual({ n: 1, median: 7, min: 7, max: 7, q1: 7, q3: 7 });
    expect(summarize([])).toBeUndefined();
    expect(median([])).toBeUndefined();
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
