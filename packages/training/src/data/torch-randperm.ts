/**
 * `torch.randperm(n, generator=g)` on the CPU, with `g = torch.Generator().manual_seed(seed)`: the order HF
 * Trainer visits a shuffled dataset in (accelerate's `SeedableRandomSampler` reseeds its generator with
 * `data_seed + epoch` before each epoch's `RandomSampler` permutation). Written by hand because it must be torch's,
 * number for number:
 *
 * - the generator is `at::mt19937` (aten/src/ATen/core/MT19937RNGEngine.h): MT19937 initialised from the seed's low
 *   32 bits (`init_with_uint32`), one tempered 32-bit word per `random()`;
 * - `randperm_cpu` (aten/src/ATen/native/TensorFactories.cpp), for n below 2³² / 20: start from 0 … n−1, and for
 *   i from 0 to n−2 swap element i with element i + random() % (n − i).
 *
 * Checked against torch 2.13 on 1,000 (n, seed) pairs (tools/reference/make_optimizer_fixtures.py
 * `--randperm`, fixtures/optim/randperm.json).
 */
import { VedError } from '@ved/core';

const N = 624;
const M = 397;

/** torch's CPU generator (MT19937) seeded as `manual_seed(seed)`. */
export class TorchCpuGenerator {
  private readonly state = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new VedError('INVALID_OPTION', `torch generator seed is ${seed}; expected a non-negative integer.`);
    const s = this.state;
    s[0] = seed % 2 ** 32;
    for (let i = 1; i < N; i++) s[i] = (Math.imul(1812433253, s[i - 1]! ^ (s[i - 1]! >>> 30)) + i) >>> 0;
  }

  /** The next 32-bit word (`CPUGeneratorImpl::random()`). */
  random(): number {
    const s = this.state;
    if (this.index >= N) {
      for (let i = 0; i < N; i++) {
        const y = (s[i]! & 0x80000000) | (s[(i + 1) % N]! & 0x7fffffff);
        s[i] = s[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = s[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Two words (`random64()`: what a 64-bit integer `random_()` takes, e.g. a `DataLoader` iterator's base seed). */
  random64(): void {
    this.random();
    this.random();
  }
}

/** `torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()`. */
export function torchRandperm(n: number, seed: number): number[] {
  return randpermFrom(new TorchCpuGenerator(seed), n);
}

/** `torch.randperm(n, generator=g).tolist()`, drawing from `generator` where it stands. */
export function randpermFrom(generator: TorchCpuGenerator, n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32 / 20) throw new VedError('INVALID_OPTION', `randperm of ${n} elements; expected a whole number below ${Math.floor(2 ** 32 / 20)}.`);
  const r = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n - 1; i++) {
    const z = generator.random() % (n - i);
    [r[i], r[z + i]] = [r[z + i]!, r[i]!];
  }
  return r;
}
