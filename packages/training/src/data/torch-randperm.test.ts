/** torchRandperm against torch 2.13's `torch.randperm(n, generator=torch.Generator().manual_seed(seed))` (fixtures/optim/randperm.json). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EpochOrder } from './epoch-order.js';
import { torchRandperm } from './torch-randperm.js';

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../fixtures/optim/randperm.json', import.meta.url)), 'utf8')) as {
  cases: { n: number; seed: number; head: number[]; tail: number[]; weighted: number }[];
};

describe('torchRandperm', () => {
  it("gives torch's CPU permutation for 1,000 (n, seed) pairs, seeds beyond 32 bits included", () => {
    for (const c of fixture.cases) {
      const perm = torchRandperm(c.n, c.seed);
      const got = { head: perm.slice(0, 8), tail: perm.slice(-8), weighted: perm.reduce((a, p, i) => a + i * p, 0) };
      expect(got, `n ${c.n}, seed ${c.seed}`).toEqual({ head: c.head, tail: c.tail, weighted: c.weighted });
    }
  });

  it("orders each epoch as HF Trainer's SeedableRandomSampler: randperm seeded with seed + epoch", () => {
    const order = new EpochOrder(10, true, 42);
    expect([...order.epoch(2)]).toEqual(torchRandperm(10, 44));
    expect([...order.epoch(0)]).toEqual(torchRandperm(10, 42));
    expect(() => torchRandperm(2 ** 31, 0)).toThrow(/randperm of 2147483648 elements/);
  });
});
