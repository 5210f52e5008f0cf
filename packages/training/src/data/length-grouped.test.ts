/**
 * The length-grouped order against transformers 5.18 / torch 2.13: `get_length_grouped_indices` on 200 random cases
 * (fixtures/optim/length-grouped.json, `make_optimizer_fixtures.py --length-grouped`), and the orders HF Trainer's
 * `LengthGroupedSampler` drew epoch after epoch in the fixture runs adamw_group_by_length and
 * sgd_group_by_length_sets (fixtures/optim/train/reference.json), from the seed and the evaluations before each.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LengthGroupedOrder, lengthGroupedIndices } from './length-grouped.js';
import { TorchCpuGenerator } from './torch-randperm.js';

const read = (path: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../../fixtures/optim/${path}`, import.meta.url)), 'utf8'));
const fixture = read('length-grouped.json') as {
  cases: { seed: number; draws: number; batch: number; lengths: number[]; head: number[]; tail: number[]; weighted: number }[];
};
const training = read('train/reference.json') as {
  cases: Record<string, { args: Record<string, number | string>; orders?: number[][]; evaluations_before?: number[]; lengths?: number[] }>;
};

describe('lengthGroupedIndices', () => {
  it('is get_length_grouped_indices on 200 random cases (ties, several mega-batches, a generator already drawn from)', () => {
    for (const c of fixture.cases) {
      const generator = new TorchCpuGenerator(c.seed);
      for (let k = 0; k < c.draws; k++) generator.random64();
      const order = lengthGroupedIndices(c.lengths, c.batch, generator);
      const where = `${c.lengths.length} lengths, batch ${c.batch}, seed ${c.seed}, ${c.draws} draws`;
      expect(order.slice(0, 8), where).toEqual(c.head);
      expect(order.slice(-8), where).toEqual(c.tail);
      expect(order.reduce((s, p, i) => s + i * p, 0), where).toBe(c.weighted);
      expect([...order].sort((a, b) => a - b), where).toEqual(c.lengths.map((_, i) => i));
    }
    expect(fixture.cases.length).toBe(200);
    expect(lengthGroupedIndices([], 4, new TorchCpuGenerator(0))).toEqual([]);
  });

  it("replays HF Trainer's epochs: the global generator after the evaluations' DataLoader seeds", () => {
    const grouped = Object.entries(training.cases).filter(([, c]) => c.orders !== undefined);
    expect(grouped.map(([name]) => name)).toEqual(['adamw_group_by_length', 'sgd_group_by_length_sets']);
    for (const [name, c] of grouped) {
      const batch = (c.args.per_device_train_batch_size as number) * (c.args.gradient_accumulation_steps as number);
      const order = new LengthGroupedOrder(c.lengths!, batch, c.args.seed as number, (epoch) => c.evaluations_before![epoch]!);
      c.orders!.forEach((expected, epoch) => expect([...order.epoch(epoch)], `${name}, epoch ${epoch}`).toEqual(expected));
      // Asked again, in any order.
      expect([...order.epoch(0)]).toEqual(c.orders![0]);
    }
    expect(() => new LengthGroupedOrder([1, -1], 2, 0, () => 0)).toThrow(/every example's length as a non-negative whole number/);
  });
});
