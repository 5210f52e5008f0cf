/** AdamW, SGD, RMSprop and Adagrad against torch.optim step by step (fixtures/optim/optimizers.*). */
import { afterAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { SGD } from './sgd.js';
import { RMSprop } from './rmsprop.js';
import { Adagrad } from './adagrad.js';
import { clipCoefficient, clipGradNorm, totalGradNorm } from './clip-grad-norm.js';
import type { Optimizer } from './optimizer.js';
import { equalShare, maxRelDiff, readFixtureJson, readFixtureTensors } from '../test-utils/fixtures.js';

interface Case {
  name: string;
  optimizer: 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';
  weight_decay: number;
  betas?: [number, number];
  eps?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  alpha?: number;
  centered?: boolean;
  lr_decay?: number;
}
const meta = readFixtureJson<{ steps: number; lrs: number[]; params: Record<string, number[]>; decayed: string[]; cases: Case[] }>('optimizers.json');
const tensors = readFixtureTensors('optimizers.safetensors');
const get = (name: string) => Float32Array.from(tensors.getFloat32(name));

function makeOptimizer(c: Case): Optimizer {
  const noDecay = (name: string) => !meta.decayed.includes(name);
  if (c.optimizer === 'adamw') {
    return new AdamW({ beta1: c.betas![0], beta2: c.betas![1], eps: c.eps!, weightDecay: c.weight_decay, noDecay });
  }
  if (c.optimizer === 'rmsprop') {
    return new RMSprop({ ...(c.alpha !== undefined ? { alpha: c.alpha } : {}), ...(c.eps !== undefined ? { eps: c.eps } : {}), momentum: c.momentum ?? 0, centered: c.centered ?? false, weightDecay: c.weight_decay, noDecay });
  }
  if (c.optimizer === 'adagrad') {
    return new Adagrad({ lrDecay: c.lr_decay ?? 0, ...(c.eps !== undefined ? { eps: c.eps } : {}), weightDecay: c.weight_decay, noDecay });
  }
  return new SGD({ momentum: c.momentum ?? 0, dampening: c.dampening ?? 0, nesterov: c.nesterov ?? false, weightDecay: c.weight_decay, noDecay });
}

describe('optimizers vs torch.optim (5 steps, changing lr, two parameter groups)', () => {
  const bitwise: number[] = [];
  const worst: number[] = [];
  afterAll(() => {
    console.log(`optimizers vs torch: worst relative difference ${Math.max(...worst).toExponential(2)}, ` + `lowest bitwise-equal share ${(100 * Math.min(...bitwise)).toFixed(1)}%`);
  });
  for (const c of meta.cases) {
    it(c.name, () => {
      const opt = makeOptimizer(c);
      const params = new Map(Object.keys(meta.params).map((n) => [n, get(`${c.name}.${n}.init`)]));
      for (let k = 1; k <= meta.steps; k++) {
        const grads = new Map(Object.keys(meta.params).map((n) => [n, get(`${c.name}.${n}.grad.${k}`)]));
        const before = new Map([...grads].map(([n, g]) => [n, Float32Array.from(g)]));
        opt.step(params, grads, meta.lrs[k - 1]!);
        expect(grads).toEqual(before); // gradients are read only
        for (const [n, p] of params) {
          const expected = tensors.getFloat32(`${c.name}.${n}.step.${k}`);
          worst.push(maxRelDiff(p, expected, 1e-3));
          expect(maxRelDiff(p, expected, 1e-3), `${c.name} ${n} step ${k}`).toBeLessThan(1e-6);
          if (c.optimizer === 'sgd') expect(equalShare(p, expected), `${c.name} ${n} step ${k} bitwise`).toBe(1);
          bitwise.push(equalShare(p, expected));
        }
        const state = opt.state();
        expect(state.step).toBe(k);
        for (const [key, buffer] of state.tensors) {
          const expected = tensors.getFloat32(`${c.name}.${key}.${k}`);
          expect(maxRelDiff(buffer, expected, 1e-3), `${key} step ${k}`).toBeLessThan(1e-6);
        }
      }
    });
  }

  it('state round trip: a restored optimizer continues exactly', () => {
    for (const c of meta.cases) {
      const names = Object.keys(meta.params);
      const grads = (k: number) => new Map(names.map((n) => [n, get(`${c.name}.${n}.grad.${k}`)]));
      const a = makeOptimizer(c);
      const pa = new Map(names.map((n) => [n, get(`${c.name}.${n}.init`)]));
      for (let k = 1; k <= meta.steps; k++) a.step(pa, grads(k), meta.lrs[k - 1]!);

      const b = makeOptimizer(c);
      const pb = new Map(names.map((n) => [n, get(`${c.name}.${n}.init`)]));
      for (let k = 1; k <= 2; k++) b.step(pb, grads(k), meta.lrs[k - 1]!);
      const saved = b.state();
      const copy = { ...saved, tensors: new Map([...saved.tensors].map(([n, t]) => [n, Float32Array.from(t)])) };
      const resumed = makeOptimizer(c);
      resumed.loadState(copy, pb);
      for (let k = 3; k <= meta.steps; k++) resumed.step(pb, grads(k), meta.lrs[k - 1]!);
      for (const n of names) expect(pb.get(n), `${c.name} ${n}`).toEqual(pa.get(n));
    }
  });
});

describe('gradScale (clipping applied as the gradients are read)', () => {
  it('equals clipGradNorm in place then step, for AdamW and SGD', () => {
    let s = 11;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
    const make = () => new Map([['a', Float32Array.from({ length: 37 }, rand)], ['b', Float32Array.from({ length: 5 }, rand)]]);
    const optimizers = () => [
      new AdamW({ weightDecay: 0.1 }),
      new SGD({ momentum: 0.9, weightDecay: 0.01 }),
      new SGD({ momentum: 0.9, nesterov: true }),
      new SGD(),
    ];
    const start = make();
    const [pa, pb] = [0, 1].map(() => optimizers().map(() => new Map([...start].map(([k, v]) => [k, v.slice()]))));
    const [oa, ob] = [optimizers(), optimizers()];
    for (let step = 0; step < 3; step++) {
      const grads = new Map([['a', Float32Array.from({ length: 37 }, rand)], ['b', Float32Array.from({ length: 5 }, rand)]]);
      oa.forEach((opt, i) => {
        const inPlace = new Map([...grads].map(([k, v]) => [k, v.slice()]));
        const norm = clipGradNorm(inPlace.values(), 0.3);
        opt.step(pa![i]!, inPlace, 0.05);
        const readOnly = new Map([...grads].map(([k, v]) => [k, v.slice()]));
        expect(totalGradNorm(readOnly.values())).toBe(norm);
        ob[i]!.step(pb![i]!, readOnly, 0.05, clipCoefficient(norm, 0.3));
        for (const [k, g] of readOnly) expect(Array.from(g)).toEqual(Array.from(grads.get(k)!));
      });
    }
    oa.forEach((opt, i) => {
      for (const [k, p] of pa![i]!) expect(Array.from(pb![i]!.get(k)!), `${opt.name} ${i} ${k}`).toEqual(Array.from(p));
    });
  });

  it('clipCoefficient is 1 with clipping off or a small norm', () => {
    expect(clipCoefficient(123, 0)).toBe(1);
    expect(clipCoefficient(0.5, 1)).toBe(1);
    expect(clipCoefficient(4, 1)).toBe(Math.fround(Math.fround(1 / Math.fround(4 + Math.fround(1e-6))) * 1));
  });
});

describe('optimizer errors', () => {
  it('rejects bad options with INVALID_OPTION naming them', () => {
    expect(() => new AdamW({ beta1: 1 })).toThrow(/betas must be below 1/);
    expect(() => new AdamW({ eps: -1 })).toThrow(/eps/);
    expect(() => new SGD({ nesterov: true })).toThrow(/Nesterov momentum requires a momentum > 0/);
    expect(() => new SGD({ momentum: Number.NaN })).toThrow(/momentum must be a finite number/);
  });

  it('rejects a gradient of the wrong size, and state of another optimizer or model', () => {
    const params = new Map([['w', new Float32Array(4)]]);
    expect(() => new AdamW().step(params, new Map([['w', new Float32Array(3)]]), 1e-3)).toThrow(/gradient of "w" has 3 values, but the parameter has 4/);
    const sgdState = { optimizer: 'sgd' as const, step: 1, tensors: new Map() };
    expect(() => new AdamW().loadState(sgdState, params, 'ck/optimizer.safetensors')).toThrow(/ck\/optimizer.safetensors was written by the sgd optimizer/);
    const other = { optimizer: 'adamw' as const, step: 1, tensors: new Map([['v.exp_avg', new Float32Array(4)], ['v.exp_avg_sq', new Float32Array(4)]]) };
    expect(() => new AdamW().loadState(other, params)).toThrow(/"v.exp_avg" belongs to no trainable parameter/);
    const short = { optimizer: 'adamw' as const, step: 1, tensors: new Map([['w.exp_avg', new Float32Array(2)], ['w.exp_avg_sq', new Float32Array(2)]]) };
    expect(() => new AdamW().loadState(short, params)).toThrow(/has 2 values, but its parameter has 4/);
  });

  it('skips parameters without a gradient (frozen weights), as torch skips grad None', () => {
    const params = new Map([['a', Float32Array.of(1, 2)], ['b', Float32Array.of(3, 4)]]);
    const opt = new AdamW({ weightDecay: 0.5 });
    opt.step(params, new Map([['a', Float32Array.of(1, 1)]]), 0.1);
    expect([...params.get('b')!]).toEqual([3, 4]);
    expect([...opt.state().tensors.keys()]).toEqual(['a.exp_avg', 'a.exp_avg_sq']);
  });
});
