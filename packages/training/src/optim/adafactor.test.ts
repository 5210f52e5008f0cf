/** Adafactor against transformers.optimization.Adafactor as HF Trainer builds it (fixtures/optim/adafactor.*). */
import { describe, expect, it } from 'vitest';
import { Adafactor } from './adafactor.js';
import { maxRelDiff, readFixtureJson, readFixtureTensors } from '../test-utils/fixtures.js';

const meta = readFixtureJson<{ lrs: number[]; params: Record<string, number[]>; decayed: string[]; cases: { name: string; weight_decay: number }[] }>('adafactor.json');
const tensors = readFixtureTensors('adafactor.safetensors');
const get = (name: string) => Float32Array.from(tensors.getFloat32(name));
const names = Object.keys(meta.params);
const make = (weightDecay: number) => new Adafactor({ shapeOf: (n) => meta.params[n]!, weightDecay, noDecay: (n) => !meta.decayed.includes(n) });

describe('Adafactor vs transformers (scale_parameter and relative_step off, 7 steps, changing lr)', () => {
  for (const c of meta.cases) {
    it(c.name, () => {
      const opt = make(c.weight_decay);
      const params = new Map(names.map((n) => [n, get(`${c.name}.${n}.init`)]));
      let worst = 0;
      meta.lrs.forEach((lr, k) => {
        const grads = new Map(names.map((n) => [n, get(`${c.name}.${n}.grad.${k + 1}`)]));
        const before = new Map([...grads].map(([n, g]) => [n, Float32Array.from(g)]));
        opt.step(params, grads, lr);
        expect(grads).toEqual(before); // gradients are read only
        for (const [n, p] of params) {
          const d = maxRelDiff(p, tensors.getFloat32(`${c.name}.${n}.step.${k + 1}`), 1e-3);
          worst = Math.max(worst, d);
          expect(d, `${n} after step ${k + 1}`).toBeLessThan(1e-6);
        }
        const state = opt.state();
        expect(state.step).toBe(k + 1);
        expect([...state.tensors.keys()].sort()).toEqual(['b.exp_avg_sq', 'conv.exp_avg_sq_col', 'conv.exp_avg_sq_row', 'w.exp_avg_sq_col', 'w.exp_avg_sq_row']);
        for (const [key, buffer] of state.tensors) {
          expect(maxRelDiff(buffer, tensors.getFloat32(`${c.name}.${key}.${k + 1}`), 1e-30), `${key} after step ${k + 1}`).toBeLessThan(1e-5);
        }
        expect(state.shapes?.get('conv.exp_avg_sq_row')).toEqual([3, 2, 4]);
        expect(state.shapes?.get('conv.exp_avg_sq_col')).toEqual([3, 2, 5]);
      });
      console.log(`${c.name}: worst relative difference of the parameters ${worst.toExponential(2)}`);
    });
  }

  it('state round trip: a restored optimizer continues exactly; a mismatched state is refused', () => {
    const c = meta.cases[1]!;
    const grads = (k: number) => new Map(names.map((n) => [n, get(`${c.name}.${n}.grad.${k}`)]));
    const a = make(c.weight_decay);
    const pa = new Map(names.map((n) => [n, get(`${c.name}.${n}.init`)]));
    meta.lrs.forEach((lr, k) => a.step(pa, grads(k + 1), lr));
    const b = make(c.weight_decay);
    const pb = new Map(names.map((n) => [n, get(`${c.name}.${n}.init`)]));
    for (let k = 0; k < 3; k++) b.step(pb, grads(k + 1), meta.lrs[k]!);
    const saved = b.state();
    const resumed = make(c.weight_decay);
    resumed.loadState({ ...saved, tensors: new Map([...saved.tensors].map(([n, t]) => [n, Float32Array.from(t)])) }, pb);
    for (let k = 3; k < meta.lrs.length; k++) resumed.step(pb, grads(k + 1), meta.lrs[k]!);
    for (const n of names) expect(pb.get(n), n).toEqual(pa.get(n));

    const wrong = { optimizer: 'adafactor' as const, step: 1, tensors: new Map([['w.exp_avg_sq', new Float32Array(30)]]) };
    expect(() => make(0).loadState(wrong, pb, 'ck/optimizer.safetensors')).toThrow(/ck\/optimizer.safetensors: optimizer state "w.exp_avg_sq" has 30 values; "w" of shape \[6, 5\] needs no such buffer/);
    const adamw = { optimizer: 'adamw' as const, step: 1, tensors: new Map() };
    expect(() => make(0).loadState(adamw, pb)).toThrow(/written by the adamw optimizer; this run uses adafactor/);
    expect(() => new Adafactor({} as never)).toThrow(/needs shapeOf/);
  });
});
