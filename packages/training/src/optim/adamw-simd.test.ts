/**
 * The WebAssembly SIMD AdamW kernel against the JavaScript loops it replaces: the same float32 numbers,
 * bit for bit (Object.is: signed zeros count, NaNs are NaNs), at chunk boundaries, with views, both of
 * torch's lerp forms, with and without clipping's scale and weight decay, over values from subnormal to
 * huge. The generated module is the one its .wat source assembles to.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adamwSimd, sumOfSquaresSimd, type AdamWConstants } from './adamw-simd.js';
import { updateScalar } from './adamw.js';
// @ts-expect-error: a plain .mjs script without types
import { moduleSource } from '../../../../scripts/build-wasm.mjs';

const f = Math.fround;

function constants(beta1: number, beta2: number, lr: number, wd: number, gradScale: number, step: number): AdamWConstants {
  const w1 = f(1 - beta1);
  return {
    lerpSmall: Math.abs(w1) < 0.5,
    gradScale: f(gradScale),
    decay: wd === 0 ? 1 : f(1 - lr * wd),
    w1,
    w1m1: f(w1 - 1),
    b2: f(beta2),
    c2: f(1 - beta2),
    bc2Sqrt: f(Math.sqrt(1 - beta2 ** step)),
    eps: f(1e-8),
    negStepSize: f(-(lr / (1 - beta1 ** step))),
  };
}

function data(n: number, seed: number): { p: Float32Array; g: Float32Array; m: Float32Array; v: Float32Array } {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
  const special = [0, -0, 1e-45, -1e-45, 1.2e-38, 3e38, -3e38, Infinity, -Infinity, Number.NaN, 1, -1];
  const value = (scale: number) => {
    const r = rand();
    if (r > 0.49) return special[Math.floor((rand() + 0.5) * special.length)]!;
    // Magnitudes spread over many binades, subnormal included.
    return r * scale * 2 ** Math.floor((rand() + 0.5) * 40 - 30);
  };
  const p = Float32Array.from({ length: n }, () => value(1));
  const g = Float32Array.from({ length: n }, () => value(1e-2));
  const m = Float32Array.from({ length: n }, () => value(1e-3));
  const v = Float32Array.from({ length: n }, () => Math.abs(value(1e-4)));
  return { p, g, m, v };
}

function expectSame(a: Float32Array, b: Float32Array, what: string): void {
  let first = -1;
  for (let i = 0; i < a.length && first < 0; i++) if (!Object.is(a[i], b[i])) first = i;
  expect(first, `${what}: first difference at ${first}: ${a[first]} vs ${b[first]}`).toBe(-1);
}

describe('AdamW in WebAssembly SIMD', () => {
  const kernel = adamwSimd();

  it('is available on Node', () => {
    expect(kernel).toBeTypeOf('function');
  });

  it('equals the JavaScript update bit for bit', () => {
    const cases = [
      constants(0.9, 0.999, 1e-3, 0.01, 1, 1),
      constants(0.9, 0.999, 5e-5, 0, 0.37, 7),
      constants(0.3, 0.99, 1e-2, 0.1, 0.91, 3),
      constants(0.6, 0.95, 1e-4, 0, 1, 100),
    ];
    let seed = 1;
    for (const c of cases) {
      for (const n of [0, 1, 3, 4, 5, 16383, 16384, 16385, 40003]) {
        const ref = data(n, seed);
        const got = data(n, seed++);
        updateScalar(ref.p, ref.g, ref.m, ref.v, c);
        kernel!(got.p, got.g, got.m, got.v, c);
        for (const k of ['p', 'm', 'v'] as const) expectSame(got[k], ref[k], `${k}, n=${n}, lerpSmall=${c.lerpSmall}, gradScale=${c.gradScale}`);
        expectSame(got.g, ref.g, 'the gradient is read only');
      }
    }
  });

  it('updates views into larger arrays and nothing around them', () => {
    const c = constants(0.9, 0.999, 1e-3, 0.01, 0.5, 2);
    const ref = data(20_000, 99);
    const got = data(20_000, 99);
    const [from, to] = [7, 19_990];
    updateScalar(ref.p.subarray(from, to), ref.g.subarray(from, to), ref.m.subarray(from, to), ref.v.subarray(from, to), c);
    kernel!(got.p.subarray(from, to), got.g.subarray(from, to), got.m.subarray(from, to), got.v.subarray(from, to), c);
    for (const k of ['p', 'm', 'v'] as const) expectSame(got[k], ref[k], k);
  });

  it('sums squares as the double loop does, to rounding (lanes summed apart), NaN and infinity kept', () => {
    const sumsq = sumOfSquaresSimd()!;
    let seed = 5;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
    for (const n of [0, 1, 3, 5, 16383, 16384, 16385, 40003]) {
      const g = Float32Array.from({ length: n }, () => rand() * 2 ** Math.floor((rand() + 0.5) * 30 - 20));
      let want = 0;
      for (let i = 0; i < n; i++) want += g[i]! * g[i]!;
      const got = sumsq(g);
      expect(Math.abs(got - want), `n=${n}`).toBeLessThanOrEqual(want * 1e-13);
      // The padding lanes of a short chunk never hold the previous chunk's values.
      expect(sumsq(g.subarray(0, Math.min(n, 2)))).toBe(n === 0 ? 0 : n === 1 ? g[0]! * g[0]! : g[0]! * g[0]! + g[1]! * g[1]!);
    }
    expect(sumsq(Float32Array.of(1, Infinity, 2))).toBe(Infinity);
    expect(sumsq(Float32Array.of(1, 2, 3, 4, Number.NaN))).toBeNaN();
  });

  it('ships the module its .wat source assembles to (node scripts/build-wasm.mjs)', async () => {
    const wat = fileURLToPath(new URL('./adamw-simd.wat', import.meta.url));
    const committed = readFileSync(wat.replace(/\.wat$/, '.wasm.ts'), 'utf8');
    expect(await moduleSource(wat)).toBe(committed);
  });
});
