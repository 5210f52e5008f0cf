/**
 * ved's one PRNG, for sampling (generation) and weight initialisation: the
 * same seed gives the same draws, hence the same text and the same weights, on
 * every JavaScript engine (it uses only 32-bit integer arithmetic and IEEE
 * doubles). It cannot reproduce torch's RNG, so seeded results match other ved
 * runs, not Python's.
 *
 * Algorithm (pinned by tests in random.test.ts; changing it changes seeded outputs):
 * - Generator: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
 *   128-bit state s0..s3, output `rotl(s1 * 5, 7) * 9` (all mod 2^32).
 * - Seeding: the seed (an integer 0 ≤ seed < 2^64) feeds SplitMix64 (Steele et al.,
 *   https://prng.di.unimi.it/splitmix64.c); its first output gives s0 (low 32 bits) and s1 (high),
 *   its second s2 and s3. An all-zero state is impossible from SplitMix64 in practice; it is
 *   replaced by s0 = 1 anyway.
 * - `nextDouble()`: a uniform double in [0, 1) from two outputs a, b:
 *   `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53` (53 random bits).
 *
 * How generation draws from it (sample.ts, beam-sample.ts):
 * - multinomial sampling: one `nextDouble()` per row per step, rows in order, finished rows
 *   included; the token is the first index whose cumulative probability (float64 softmax of the
 *   processed float32 scores) exceeds `u × total`.
 * - beam sampling: for each image, one `nextDouble()` per candidate (beam-major, then token) gives
 *   an exponential key `E = −ln(1 − u)`; the K candidates with the largest `p / E` are drawn
 *   without replacement, in that order (the exponential-race form of sequential draws).
 * Only `Math.exp`/`Math.log` may differ in the last ulp across engines; a draw changes only when
 * `u` falls within that distance of a cumulative boundary.
 *
 * Weight initialisation draws normals with the Box–Muller transform (two doubles give two
 * normals) and truncated normals by redrawing outside [a, b], as `torch.nn.init.trunc_normal_`
 * cuts at absolute bounds.
 */
import { VedError } from '../errors.js';

const MASK64 = (1n << 64n) - 1n;

export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | bigint) {
    if (typeof seed === 'number' && (!Number.isSafeInteger(seed) || seed < 0)) {
      throw new VedError('INVALID_OPTION', `"seed" must be a non-negative integer below 2^53, got ${seed}.`);
    }
    let state = BigInt(seed);
    if (state < 0n || state > MASK64) throw new VedError('INVALID_OPTION', `"seed" must be a non-negative integer below 2^64, got ${seed}.`);
    const splitmix = (): bigint => {
      state = (state + 0x9e3779b97f4a7c15n) & MASK64;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
    const a = splitmix();
    const b = splitmix();
    this.s0 = Number(a & 0xffffffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffffffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A seed for when the user gives none. */
  static randomSeed(): number {
    const words = new Uint32Array(2);
    globalThis.crypto.getRandomValues(words);
    return words[0]! * 2 ** 21 + (words[1]! >>> 11);
  }

  /** Next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1), 53 random bits. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  private spare: number | undefined;

  /** Standard normal N(0, 1) (Box–Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** N(0, std) truncated to the absolute bounds [a, b]. */
  truncNormal(std: number, a = -2, b = 2): number {
    for (;;) {
      const x = this.normal() * std;
      if (x >= a && x <= b) return x;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
