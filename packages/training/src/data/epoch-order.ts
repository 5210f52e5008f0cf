/**
 * The order in which a training run visits its examples, epoch by epoch:
 * manifest order when shuffling is off, else a Fisher–Yates permutation per
 * epoch drawn from one `SeededRandom(seed)` (epoch 0's permutation first, then
 * epoch 1's, …). It cannot be torch's `RandomSampler` order (torch's generator
 * is not reproduced), but it is the same on every run with the same seed, and
 * a resumed run re-derives it from the seed and the epoch number.
 */
import { SeededRandom } from '@ved/core';

export class EpochOrder {
  private random: SeededRandom | undefined;
  private current: number[] = [];
  private drawn = -1;

  constructor(
    readonly size: number,
    readonly shuffle: boolean,
    readonly seed: number,
  ) {
    if (shuffle) new SeededRandom(seed); // validates the seed now
  }

  /** Example indices of `epoch` (0-based), in visiting order. */
  epoch(epoch: number): readonly number[] {
    if (!this.shuffle) {
      if (this.current.length !== this.size) this.current = Array.from({ length: this.size }, (_, i) => i);
      return this.current;
    }
    if (epoch < this.drawn || this.random === undefined) {
      this.random = new SeededRandom(this.seed);
      this.drawn = -1;
    }
    while (this.drawn < epoch) {
      const order = Array.from({ length: this.size }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(this.random.nextDouble() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      this.current = order;
      this.drawn += 1;
    }
    return this.current;
  }
}
