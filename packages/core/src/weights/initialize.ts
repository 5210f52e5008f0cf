/**
 * Creates weights as Python's `_init_weights` would (same distributions, not
 * the same numbers: torch's generator is not reproducible here), reproducibly
 * for a seed.
 */
import { SeededRandom } from '../random/seeded-random.js';
import type { InitRule, WeightSpec } from './weight-binder.js';
import { InMemoryTensors } from './in-memory-tensors.js';

export function fillInit(data: Float32Array, rule: InitRule, rng: SeededRandom): void {
  switch (rule.kind) {
    case 'zeros':
      data.fill(0);
      return;
    case 'ones':
      data.fill(1);
      return;
    case 'constant':
      data.fill(rule.value);
      return;
    case 'normal':
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * rule.std;
      return;
    case 'truncNormal':
      for (let i = 0; i < data.length; i++) data[i] = rng.truncNormal(rule.std, rule.a, rule.b);
      return;
    case 'custom':
      rule.fill(data, rng);
      return;
  }
}

/** Initialises `specs` under `prefix` into `target` (a fresh store when omitted). */
export function initializeWeights(specs: readonly WeightSpec[], prefix: string, rng: SeededRandom, target = new InMemoryTensors('newly initialised weights')): InMemoryTensors {
  for (const spec of specs) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    fillInit(data, spec.init, rng);
    target.set(prefix + spec.name, spec.shape, data);
  }
  return target;
}
