/** Weight-decay groups against Trainer.get_decay_parameter_names on every encoder and decoder family (fixtures/optim/decay.json). */
import { describe, expect, it } from 'vitest';
import { decayParameterNames, isNoDecayParameter } from './decay-parameters.js';
import { readFixtureJson } from '../test-utils/fixtures.js';

const models = readFixtureJson<{ encoder: string; decoder: string; parameters: { name: string; shape: number[]; decay: boolean }[] }[]>('decay.json');

describe('decay parameter names vs HF Trainer', () => {
  for (const m of models) {
    it(`${m.encoder} + ${m.decoder}`, () => {
      const shapes = new Map(m.parameters.map((p) => [p.name, p.shape]));
      expect(decayParameterNames(shapes)).toEqual(m.parameters.filter((p) => p.decay).map((p) => p.name));
      for (const p of m.parameters) expect(isNoDecayParameter(p.name, p.shape), p.name).toBe(!p.decay);
    });
  }
});
