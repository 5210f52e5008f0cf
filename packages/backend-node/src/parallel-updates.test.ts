/**
 * `AdamW.stepParallel` with `createParallelUpdates`: half of the tensors are
 * measured and updated on a worker thread, the same float32 arithmetic, so the
 * gradient norm, parameters and moments equal `clipGradNorm` + `AdamW.step`'s
 * bit for bit, whatever the tensors' sizes and whether their arrays own their
 * buffers (views are copied before transfer).
 */
import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, totalGradNorm } from '@ved/training';
import { collectGarbage } from './collect-garbage.js';
import { createParallelUpdates } from './parallel-updates.js';

function tensors(seed: number): { params: Map<string, Float32Array>; grads: () => Map<string, Float32Array> } {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
  const sizes = [70_000, 3, 4096, 12_345, 1, 65_536, 777];
  const params = new Map<string, Float32Array>();
  const grads = new Map<string, Float32Array>();
  sizes.forEach((n, i) => {
    // Every third parameter is a view into a larger buffer, as a parameter read from a file can be.
    const backing = new Float32Array(n + (i % 3 === 0 ? 5 : 0));
    const p = i % 3 === 0 ? backing.subarray(5) : backing;
    for (let j = 0; j < n; j++) p[j] = rand();
    params.set(`w${i}`, p);
    grads.set(`w${i}`, Float32Array.from({ length: n }, () => rand() * 1e-2));
  });
  return { params, grads: () => new Map([...grads].map(([k, g]) => [k, g.slice()])) };
}

function expectSame(a: { params: Map<string, Float32Array> }, alone: AdamW, b: { params: Map<string, Float32Array> }, shared: AdamW): void {
  expect(shared.stepCount).toBe(alone.stepCount);
  for (const [name, p] of a.params) expect(Array.from(b.params.get(name)!), name).toEqual(Array.from(p));
  const [sa, sb] = [alone.state().tensors, shared.state().tensors];
  expect([...sb.keys()].sort()).toEqual([...sa.keys()].sort());
  for (const [key, m] of sa) expect(Array.from(sb.get(key)!), key).toEqual(Array.from(m));
}

describe('AdamW.stepParallel', () => {
  it('measures, clips and updates exactly as clipGradNorm then AdamW.step, over several updates', async () => {
    const parallel = await createParallelUpdates();
    try {
      const a = tensors(3);
      const b = tensors(3);
      const opts = { weightDecay: 0.01, noDecay: (name: string) => name === 'w1' };
      const [alone, shared] = [new AdamW(opts), new AdamW(opts)];
      // 0.5 clips these gradients (norm ≈ 1.1), 5 does not, 0 turns clipping off.
      for (const maxGradNorm of [0.5, 5, 0, 0.5]) {
        const grads = a.grads();
        const norm = maxGradNorm > 0 ? clipGradNorm(grads.values(), maxGradNorm) : totalGradNorm(grads.values());
        alone.step(a.params, grads, 1e-3);
        expect(await shared.stepParallel(parallel, b.params, b.grads(), 1e-3, { maxGradNorm })).toBe(norm);
      }
      expectSame(a, alone, b, shared);
      expect(shared.stepCount).toBe(4);
    } finally {
      await parallel.close();
    }
  });

  it('a non-finite gradient norm updates nothing and hands every array back', async () => {
    const parallel = await createParallelUpdates();
    try {
      const a = tensors(5);
      const b = tensors(5);
      const [alone, shared] = [new AdamW(), new AdamW()];
      alone.step(a.params, a.grads(), 1e-3);
      await shared.stepParallel(parallel, b.params, b.grads(), 1e-3);
      const bad = b.grads();
      bad.get('w5')![7] = Number.NaN;
      expect(await shared.stepParallel(parallel, b.params, bad, 1e-3, { maxGradNorm: 1 })).toBeNaN();
      expectSame(a, alone, b, shared);
      // The worker is ready for the next update.
      alone.step(a.params, a.grads(), 1e-3);
      await shared.stepParallel(parallel, b.params, b.grads(), 1e-3);
      expectSame(a, alone, b, shared);
    } finally {
      await parallel.close();
    }
  });
});

describe('the update thread', () => {
  it('frees the gradients it was given once it has updated (they do not wait for a collection there)', async () => {
    const parallel = await createParallelUpdates();
    try {
      const n = 4 * 1024 * 1024; // 16 MiB per tensor
      const params = new Map(Array.from({ length: 4 }, (_, i) => [`w${i}`, new Float32Array(n).fill(0.5)] as const));
      const optimizer = new AdamW();
      const arrayBuffers = () => {
        collectGarbage();
        return process.memoryUsage().arrayBuffers;
      };
      const update = async () => {
        const grads = new Map([...params.keys()].map((name) => [name, new Float32Array(n).fill(1e-3)] as const));
        await optimizer.stepParallel(parallel, params, grads, 1e-3);
      };
      await update();
      const settled = arrayBuffers();
      for (let i = 0; i < 3; i++) await update();
      // The parameters and moments are the same bytes as after the first update; the gradients (half of
      // them, 32 MiB, were updated over there) must be gone, from this thread and from the other. The
      // other thread lets go of the last update's after it has answered: wait for it (up to 2 s on a
      // loaded machine), never for a collection there.
      let grown = arrayBuffers() - settled;
      for (let waited = 0; grown >= 8 * 1024 * 1024 && waited < 2000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        grown = arrayBuffers() - settled;
      }
      expect(grown).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await parallel.close();
    }
  });
});
