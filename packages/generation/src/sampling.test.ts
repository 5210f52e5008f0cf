/**
 * Sampling draws: over many seeded draws, token frequencies match
 * softmax(processed scores) (chi-square bounds at the 0.999 level; the test
 * is deterministic given the seeds). The processed scores are Python's
 * warper outputs from fixtures/generation/processors.json.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseSafetensors } from '@ved/core';
import { sampleCandidates } from './beam-sample.js';
import { SeededRandom } from '@ved/core';
import { sampleIndex } from './sample.js';
import { softmaxRow } from './scores.js';

const FIXTURES = new URL('../../../fixtures/generation/', import.meta.url);
const bytes = readFileSync(new URL('processors.safetensors', FIXTURES));
const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'processors.safetensors');

/** Pearson chi-square over the categories with expected count >= 5 (the rest pooled). */
function chiSquare(counts: number[], probs: ArrayLike<number>, n: number): { chi2: number; dof: number } {
  let chi2 = 0;
  let dof = -1;
  let pooledObs = 0;
  let pooledExp = 0;
  counts.forEach((o, i) => {
    const e = probs[i]! * n;
    if (e >= 5) {
      chi2 += (o - e) ** 2 / e;
      dof++;
    } else {
      pooledObs += o;
      pooledExp += e;
    }
  });
  if (pooledExp >= 5) {
    chi2 += (pooledObs - pooledExp) ** 2 / pooledExp;
    dof++;
  } else {
    expect(pooledObs).toBeLessThanOrEqual(Math.max(10, pooledExp * 10));
  }
  return { chi2, dof };
}

/** 0.999 quantile of chi-square (Wilson–Hilferty), generous enough for a fixed-seed check. */
function chi2Limit(dof: number): number {
  const z = 3.09;
  return dof * (1 - 2 / (9 * dof) + z * Math.sqrt(2 / (9 * dof))) ** 3;
}

const WARPED = ['top-k-3-keep1', 'top-p-0.8-keep1', 'min-p-0.05-keep1', 'typical-0.9-keep1', 'temperature-1.7', 'eta-0.05-keep1'];

describe('multinomial sampling', () => {
  for (const name of WARPED) {
    it(`frequencies match softmax of Python's ${name} scores`, () => {
      const [rows, vocab] = tensors.info(`${name}/expected`).shape as [number, number];
      const all = tensors.getFloat32(`${name}/expected`);
      for (let r = 0; r < rows; r++) {
        const scores = all.subarray(r * vocab, (r + 1) * vocab);
        const probs = softmaxRow(scores);
        const random = new SeededRandom(1000 + r);
        const n = 20_000;
        const counts = new Array<number>(vocab).fill(0);
        for (let i = 0; i < n; i++) counts[sampleIndex(scores, random)]! += 1;
        // Filtered tokens (-inf) are never drawn.
        counts.forEach((c, i) => {
          if (scores[i] === -Infinity) expect(c).toBe(0);
        });
        const { chi2, dof } = chiSquare(counts, probs, n);
        if (dof > 0) expect(chi2, `row ${r}: chi2 ${chi2.toFixed(1)} with ${dof} dof`).toBeLessThan(chi2Limit(dof));
      }
    });
  }

  it('the same seed gives the same draws', () => {
    const scores = tensors.getFloat32('inputs/0').subarray(0, 40);
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 50 }, () => sampleIndex(scores, random));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  it('a row with every token filtered out is an error, as in torch', () => {
    expect(() => sampleIndex([-Infinity, -Infinity], new SeededRandom(0))).toThrow('probability tensor contains either `inf`, `nan` or element < 0');
  });
});

describe('beam-sampling candidates (draws without replacement)', () => {
  it('the first draw follows the distribution; all draws are distinct', () => {
    const scores = Float32Array.from([1.0, 0.2, -0.5, 2.0, 0.0, -Infinity, 1.5, -1.0]);
    const probs = softmaxRow(scores);
    const select = sampleCandidates(new SeededRandom(3));
    const n = 20_000;
    const first = new Array<number>(scores.length).fill(0);
    for (let i = 0; i < n; i++) {
      const picked = select(scores, 4);
      expect(new Set(picked).size).toBe(4);
      expect(picked).not.toContain(5);
      first[picked[0]!]! += 1;
    }
    const { chi2, dof } = chiSquare(first, probs, n);
    expect(chi2).toBeLessThan(chi2Limit(dof));
  });

  it('the second draw follows the distribution without the first (sequential sampling)', () => {
    const scores = Float32Array.from([0.3, 1.2, -0.4, 0.9]);
    const p = softmaxRow(scores);
    const select = sampleCandidates(new SeededRandom(11));
    const n = 20_000;
    const pairs = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const [a, b] = select(scores, 2);
      pairs.set(`${a},${b}`, (pairs.get(`${a},${b}`) ?? 0) + 1);
    }
    const keys: string[] = [];
    const expected: number[] = [];
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        if (a === b) continue;
        keys.push(`${a},${b}`);
        expected.push((p[a]! * p[b]!) / (1 - p[a]!));
      }
    }
    const { chi2, dof } = chiSquare(
      keys.map((k) => pairs.get(k) ?? 0),
      expected,
      n,
    );
    expect(chi2).toBeLessThan(chi2Limit(dof));
  });

  it('zero-probability candidates come last when too few are positive (torch does not raise)', () => {
    const select = sampleCandidates(new SeededRandom(2));
    const picked = select(Float32Array.from([0, -Infinity, 1, -Infinity]), 4);
    expect(new Set(picked.slice(0, 2))).toEqual(new Set([0, 2]));
    expect(new Set(picked.slice(2))).toEqual(new Set([1, 3]));
  });
});
