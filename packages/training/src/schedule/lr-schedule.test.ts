/** Learning-rate schedules against transformers' get_scheduler (fixtures/optim/schedules.json). */
import { describe, expect, it } from 'vitest';
import { LearningRateSchedule, type SchedulerType } from './lr-schedule.js';
import { readFixtureJson } from '../test-utils/fixtures.js';

const cases = readFixtureJson<{ type: SchedulerType; learning_rate: number; warmup_steps: number; total_steps: number; rates: number[] }[]>('schedules.json');

describe('LearningRateSchedule vs get_scheduler', () => {
  for (const c of cases) {
    it(`${c.type}, warmup ${c.warmup_steps}`, () => {
      const schedule = new LearningRateSchedule({ type: c.type, learningRate: c.learning_rate, warmupSteps: c.warmup_steps, totalSteps: c.total_steps });
      const rates = c.rates.map((_, step) => schedule.rateAt(step));
      rates.forEach((rate, step) => expect(Math.abs(rate - c.rates[step]!), `step ${step}`).toBeLessThanOrEqual(1e-12 * c.learning_rate));
    });
  }

  it('rejects unknown types and missing totals', () => {
    expect(() => new LearningRateSchedule({ type: 'polynomial' as SchedulerType, learningRate: 1 })).toThrow(/expected one of "constant", "constant_with_warmup", "linear", "cosine"/);
    expect(() => new LearningRateSchedule({ type: 'linear', learningRate: 1 })).toThrow(/needs the number of training steps/);
    expect(() => new LearningRateSchedule({ learningRate: -1, totalSteps: 1 })).toThrow(/learningRate must be a non-negative number/);
  });
});
