/**
 * Dropout masks computed inside the training graph from keys drawn with ved's
 * `SeededRandom`: each dropout site gets a fresh 32-bit key per step (graph
 * input `dropout_keys`, one entry per site), and entry i of its mask keeps the
 * value when hash(i XOR key) ≥ p·2³², the hash being Thomas Mueller's 32-bit
 * integer mixer (`x = ((x >> 16) ^ x) * 0x45d9f3b`, twice, then
 * `(x >> 16) ^ x`), evaluated in int64 ops. So the masks are reproducible for
 * a seed, differ from step to step and from site to site, are the same in
 * onnxruntime-node and -web (integer arithmetic), and cost JavaScript only
 * one draw per site and step. (Python's torch RNG is not reproduced.)
 *
 * The keys come either from a running generator (`draw`), or from the
 * position in the run (`drawAt`: a generator seeded by the run's seed, the
 * optimizer step and the micro-batch), so that a run resumed at step k draws
 * the masks an uninterrupted run draws at step k.
 */
import type { DropoutMasks } from '../nn/context.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { VedError } from '../errors.js';
import { SeededRandom } from '../random/seeded-random.js';

export const DROPOUT_KEYS = 'dropout_keys';

const MIXER = 0x45d9f3b;
const MASK32 = 0xffffffff;

export class HashedDropoutMasks implements DropoutMasks {
  /** Number of dropout sites in the graph (the length of `dropout_keys`). */
  sites = 0;
  private keys: string | undefined;

  mask(g: GraphBuilder, shape: string, p: number, like: string): string {
    this.keys ??= g.input(DROPOUT_KEYS, 'int64', ['dropout_sites']);
    const key = g.op('Gather', [this.keys, g.constInt(this.sites++, [])], { axis: 0 });
    const count = g.op('ReduceProd', [shape], { keepdims: 0 });
    const index = g.op('Reshape', [g.op('Range', [g.constInt(0, []), count, g.constInt(1, [])]), shape]);
    const shift16 = g.constInt(65536, []);
    const mixer = g.constInt(MIXER, []);
    const mask32 = g.constInt(MASK32, []);
    let x = g.op('BitwiseXor', [index, key]);
    for (let round = 0; round < 2; round++) {
      x = g.op('BitwiseAnd', [g.op('Mul', [g.op('BitwiseXor', [x, g.op('Div', [x, shift16])]), mixer]), mask32]);
    }
    x = g.op('BitwiseXor', [x, g.op('Div', [x, shift16])]);
    const keep = g.op('GreaterOrEqual', [x, g.constInt(Math.round(p * 2 ** 32), [])]);
    const type = g.valueRecord(like)?.type === 'float64' ? 'float64' : 'float32';
    return g.op('Where', [keep, g.constFloat(1 / (1 - p), [], type), g.constFloat(0, [], type)]);
  }

  /** This step's keys: one draw of `rng` per site. */
  draw(rng: SeededRandom): BigInt64Array {
    return BigInt64Array.from({ length: this.sites }, () => BigInt(rng.nextUint32()));
  }

  /** The keys of micro-batch `microBatch` of optimizer step `step` in a run seeded `seed` (the same wherever the run restarts). */
  drawAt(seed: number, step: number, microBatch: number): BigInt64Array {
    return this.draw(new SeededRandom(dropoutSeed(seed, step, microBatch)));
  }
}

const MASK64 = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function (https://prng.di.unimi.it/splitmix64.c): a 64-bit bijective mixer. */
function mix64(x: bigint): bigint {
  let z = x & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * The seed of the generator that draws the dropout keys of (seed, step,
 * micro-batch): each value is folded in as `h = mix64(h + GOLDEN + v)`
 * (`GOLDEN` = 0x9e3779b97f4a7c15), starting from h = 0.
 */
export function dropoutSeed(seed: number, step: number, microBatch: number): bigint {
  let h = 0n;
  for (const [name, v] of [['seed', seed], ['dropoutStep', step], ['microBatch', microBatch]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new VedError('INVALID_OPTION', `"${name}" of the dropout masks must be a non-negative integer, got ${v}.`);
    h = mix64(h + GOLDEN64 + BigInt(v));
  }
  return h;
}

/** The mask entry i of a site with key `key` keeps (the graph's arithmetic, for tests). */
export function keeps(i: number, key: number, p: number): boolean {
  let x = (i ^ key) >>> 0;
  for (let round = 0; round < 2; round++) x = Number((BigInt(((x >>> 16) ^ x) >>> 0) * BigInt(MIXER)) & 0xffffffffn);
  x = ((x >>> 16) ^ x) >>> 0;
  return x >= Math.round(p * 2 ** 32);
}
