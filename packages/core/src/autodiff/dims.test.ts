import { describe, expect, it } from 'vitest';
import { broadcastDim, dimAdd, dimDiv, dimEquals, dimMul, product } from './dims.js';

describe('symbolic dimensions', () => {
  it('products of symbols compare equal whatever the order; numbers fold into the coefficient', () => {
    expect(dimMul('batch', 'seq')).toBe('batch*seq');
    expect(dimEquals(dimMul('seq', 'batch'), 'batch*seq')).toBe(true);
    expect(product([2, 'batch', 3])).toBe('6*batch');
    expect(dimDiv('6*batch*seq', 3)).toBe('2*batch*seq');
    expect(dimDiv('batch*seq', 'seq')).toBe('batch');
    expect(dimDiv('batch', 4)).toBeUndefined();
  });

  it('sums and unknowns: exact for numbers and zero, otherwise a fresh unknown equal only to itself', () => {
    expect(dimAdd(3, 4)).toBe(7);
    expect(dimAdd('t', 0)).toBe('t');
    const u = dimAdd('p', 't');
    expect(typeof u === 'string' && u.startsWith('?')).toBe(true);
    expect(dimEquals(u, dimAdd('p', 't'))).toBe(false);
  });

  it('broadcasting: 1 yields, a number wins over a symbol, two different symbols are undecided', () => {
    expect(broadcastDim(1, 'batch')).toBe('batch');
    expect(broadcastDim('n', 5)).toBe(5);
    expect(broadcastDim('batch', 'batch')).toBe('batch');
    expect(broadcastDim('m', 'n')).toBeUndefined();
  });
});
