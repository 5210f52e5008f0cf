/**
 * HF Trainer's `train_sampling_strategy="group_by_length"` order (transformers/trainer_pt_utils.py,
 * `LengthGroupedSampler` / `get_length_grouped_indices`), number for number:
 *
 * - `torch.randperm(n)` from torch's *global* generator, seeded once with `seed` (`set_seed` in `Trainer.__init__`);
 * - cut into mega-batches of `min(n // (batch × 4), 50)` batches (at least one), `batch` being
 *   `per_device_train_batch_size × gradient_accumulation_steps`; each sorted longest first (Python's stable
 *   `sorted(…, reverse=True)`: equal lengths keep their drawn order);
 * - the first element of the mega-batch holding the longest example (`torch.argmax`: the first of equals) swapped
 *   with the first element of the first mega-batch.
 *
 * The global generator is drawn from by more than the sampler: every `DataLoader` iterator takes one 64-bit base
 * seed (`_BaseDataLoaderIter.__init__`'s `random_()`, two 32-bit words) — the training loader's at each epoch's start,
 * before the permutation, and each evaluation set's (and `predict`'s) every time it is evaluated. `LengthGroupedOrder`
 * replays those draws from the counts the Trainer keeps. Dropout in training draws from it too (torch's
 * `bernoulli_`, per element), which ved's own dropout masks do not reproduce: with dropout on, epoch 0 is Python's
 * order and the later ones are drawn as if no dropout had drawn (checked against torch 2.13 with dropout off,
 * tools/reference/make_optimizer_fixtures.py).
 */
import { VedError } from '@ved/core';
import { TorchCpuGenerator, randpermFrom } from './torch-randperm.js';

/** `get_length_grouped_indices(lengths, batch_size, generator=g)` with `g` the generator given. */
export function lengthGroupedIndices(lengths: readonly number[], batchSize: number, generator: TorchCpuGenerator): number[] {
  const n = lengths.length;
  const megaBatchMult = Math.min(Math.floor(n / (batchSize * 4)), 50) || 1;
  const indices = randpermFrom(generator, n);
  const size = megaBatchMult * batchSize;
  const megaBatches: number[][] = [];
  for (let i = 0; i < n; i += size) megaBatches.push(indices.slice(i, i + size).sort((a, b) => lengths[b]! - lengths[a]!));
  if (megaBatches.length === 0) return [];
  let maxIdx = 0;
  for (let k = 1; k < megaBatches.length; k++) if (lengths[megaBatches[k]![0]!]! > lengths[megaBatches[maxIdx]![0]!]!) maxIdx = k;
  const first = megaBatches[0]!;
  const longest = megaBatches[maxIdx]!;
  [first[0], longest[0]] = [longest[0]!, first[0]!];
  return megaBatches.flat();
}

/**
 * The length-grouped order of each epoch, from the global generator's draws before it: `loaderDrawsBefore(epoch)`
 * is how many `DataLoader` iterators (evaluations, `predict`) took a base seed before that epoch's training iterator.
 */
export class LengthGroupedOrder {
  private current: number[] = [];
  private drawn: number | undefined;

  constructor(
    private readonly lengths: readonly number[],
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly loaderDrawsBefore: (epoch: number) => number,
  ) {
    if (lengths.some((l) => !Number.isInteger(l) || l < 0)) throw new VedError('INVALID_INPUT', 'group_by_length needs every example\'s length as a non-negative whole number.');
  }

  /** Example indices of `epoch` (0-based), in visiting order. */
  epoch(epoch: number): readonly number[] {
    if (this.drawn !== epoch) {
      this.current = this.draw(epoch);
      this.drawn = epoch;
    }
    return this.current;
  }

  private draw(epoch: number): number[] {
    const generator = new TorchCpuGenerator(this.seed);
    let evaluationDraws = 0;
    let order: number[] = [];
    for (let e = 0; e <= epoch; e++) {
      // The evaluations' iterators since the previous epoch's permutation, then this epoch's training iterator.
      for (const before = this.loaderDrawsBefore(e); evaluationDraws < before; evaluationDraws++) generator.random64();
      generator.random64();
      order = lengthGroupedIndices(this.lengths, this.batchSize, generator);
    }
    return order;
  }
}
