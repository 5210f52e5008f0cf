import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seeded-random.js';
import { Q4_BLOCK_SIZE, quantizeQ4, quantizeQ8 } from './quantize.js';

function randomMatrix(n: number, k: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: n * k }, () => rng.normal() * 0.1);
}

describe('weight quantization', () => {
  const n = 7;
  const k = 45; // not a multiple of the 4-bit block
  const w = randomMatrix(n, k, 3);
  const transposed = new Float32Array(n * k);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) transposed[c * n + r] = w[r * k + c]!;

  it('q8: per-channel int8 in [K, N], within half a step of the weight, same from either layout', () => {
    const { b, scales } = quantizeQ8(w, n, k, 'NK');
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < k; c++) expect(Math.abs(b[c * n + r]! * scales[r]! - w[r * k + c]!)).toBeLessThanOrEqual(scales[r]! / 2 + 1e-9);
    }
    const fromKN = quantizeQ8(transposed, n, k, 'KN');
    expect(fromKN.b).toEqual(b);
    expect(fromKN.scales).toEqual(scales);
  });

  it('q4: 32-blocks, low nibble first, zero point 8, within half a step; padding nibbles are the zero point', () => {
    const { b, scales, blocks } = quantizeQ4(w, n, k, 'NK');
    expect(blocks).toBe(Math.ceil(k / Q4_BLOCK_SIZE));
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < blocks * Q4_BLOCK_SIZE; c++) {
        const blk = Math.floor(c / Q4_BLOCK_SIZE);
        const j = c % Q4_BLOCK_SIZE;
        const byte = b[(r * blocks + blk) * (Q4_BLOCK_SIZE / 2) + (j >> 1)]!;
        const q = (j & 1) === 0 ? byte & 15 : byte >> 4;
        if (c >= k) expect(q).toBe(8);
        else expect(Math.abs((q - 8) * scales[r * blocks + blk]! - w[r * k + c]!)).toBeLessThanOrEqual(scales[r * blocks + blk]! / 2 + 1e-9);
      }
    }
    expect(quantizeQ4(transposed, n, k, 'KN').b).toEqual(b);
  });
});
