/**
 * The order in which a training run visits its examples, epoch by epoch: the dataset's order when shuffling is
 * off, else HF Trainer's shuffled order — accelerate's `SeedableRandomSampler` (accelerate/data_loader.py), which
 * before epoch e reseeds its generator with `data_seed + e` (`data_seed` defaulting to the run's `seed`) and draws
 * `RandomSampler`'s `torch.randperm(n, generator)` (torch-randperm.ts). A resumed run re-derives it from the seed and
 * the epoch number.
 */
import { torchRandperm } from './torch-randperm.js';

export class EpochOrder {
  private current: number[] = [];
  private drawn: number | undefined;

  constructor(
    readonly size: number,
    readonly shuffle: boolean,
    readonly seed: number,
  ) {}

  /** Example indices of `epoch` (0-based), in visiting order. */
  epoch(epoch: number): readonly number[] {
    if (!this.shuffle) {
      if (this.current.length !== this.size) this.current = Array.from({ length: this.size }, (_, i) => i);
      return this.current;
    }
    if (this.drawn !== epoch) {
      this.current = torchRandperm(this.size, this.seed + epoch);
      this.drawn = epoch;
    }
    return this.current;
  }
}
