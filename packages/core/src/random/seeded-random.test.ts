/**
 * ved's sampling PRNG is pinned: its outputs must equal the independent
 * Python implementation in tools/reference/make_generation_fixtures.py
 * (fixtures/generation/random.json), so a seed means the same text everywhere.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { VedError } from '@ved/core';
import { SeededRandom } from './seeded-random.js';

const fixture = JSON.parse(readFileSync(new URL('../../../../fixtures/generation/random.json', import.meta.url), 'utf8')) as {
  cases: Array<{ seed: number; uint32: number[]; doubles: number[] }>;
};

describe('SeededRandom (SplitMix64-seeded xoshiro128**)', () => {
  for (const c of fixture.cases) {
    it(`seed ${c.seed}: the reference outputs`, () => {
      const r = new SeededRandom(c.seed);
      expect(c.uint32.map(() => r.nextUint32())).toEqual(c.uint32);
      expect(c.doubles.map(() => r.nextDouble())).toEqual(c.doubles);
    });
  }

  it('accepts bigint seeds up to 2^64 - 1 and rejects others', () => {
    expect(new SeededRandom(2n ** 64n - 1n).nextDouble()).toBeGreaterThanOrEqual(0);
    expect(() => new SeededRandom(-1)).toThrow(VedError);
    expect(() => new SeededRandom(1.5)).toThrow('"seed" must be a non-negative integer');
    expect(() => new SeededRandom(2n ** 64n)).toThrow(VedError);
  });

  it('doubles are uniform in [0, 1)', () => {
    const r = new SeededRandom(7);
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = r.nextDouble();
      expect(u >= 0 && u < 1).toBe(true);
      bins[Math.floor(u * 10)]! += 1;
    }
    // chi-square with 9 degrees of freedom; 27.9 is the 0.999 quantile
    const chi2 = bins.reduce((s, o) => s + (o - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('randomSeed() gives a valid seed', () => {
    const seed = SeededRandom.randomSeed();
    expect(Number.isSafeInteger(seed) && seed >= 0).toBe(true);
  });
});
