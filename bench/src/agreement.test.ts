import { describe, expect, it } from 'vitest';
import { agreement, formatAgreement, wrongLengths } from './agreement.js';

describe('agreement', () => {
  it('counts generated tokens only (start token excluded)', () => {
    const a = [
      [9, 1, 2, 3],
      [9, 4, 5, 6],
    ];
    const b = [
      [9, 1, 2, 3],
      [9, 4, 0, 6],
    ];
    expect(agreement(a, b)).toEqual({ tokens: 6, sameTokens: 5, rows: 2, sameRows: 1 });
    expect(formatAgreement(agreement(a, b))).toBe('83.3% (1/2 rows)');
    expect(formatAgreement(agreement(a, a))).toBe('100% (2/2 rows)');
  });

  it('a side that stops early or returns fewer rows loses those positions', () => {
    expect(agreement([[9, 1, 2, 3]], [[9, 1]])).toEqual({ tokens: 3, sameTokens: 1, rows: 1, sameRows: 0 });
    expect(agreement([[9, 1], [9, 2]], [[9, 1]])).toEqual({ tokens: 2, sameTokens: 1, rows: 2, sameRows: 1 });
  });

  it('rows that start differently are not identical', () => {
    expect(agreement([[1, 5]], [[2, 5]]).sameRows).toBe(0);
  });

  it('reports n/a when nothing was generated', () => {
    expect(formatAgreement(agreement([], []))).toBe('n/a');
  });

  it('finds rows of the wrong length', () => {
    expect(wrongLengths([[1, 2, 3], [1, 2], [1, 2, 3, 4]], 3)).toEqual([1, 2]);
  });
});
