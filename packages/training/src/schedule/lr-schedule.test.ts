/** Learning-rate schedules against transformers' get_scheduler (fixtures/optim/schedules.json). */
import { describe, expect, it } from 'vitest';
import { LearningRateSchedule, type SchedulerType } from './lr-schedule.js';
import { readFixtureJson } from '../test-utils/fixtures.js';

interface Case {
  type: SchedulerType;
  learning_rate: number;
  warmup_steps: number;
  total_steps: number;
  kwargs?: Record<string, unknown>;
  rates?: number[];
  error?: string;
  /** reduce_lr_on_plateau and greedy: the metrics given to step(), and the rate after each. */
  metrics?: number[];
  rates_after?: number[];
}
const cases = readFixtureJson<Case[]>('schedules.json');
const build = (c: Case) =>
  new LearningRateSchedule({ type: c.type, learningRate: c.learning_rate, warmupSteps: c.warmup_steps, totalSteps: c.total_steps, ...(c.kwargs ? { kwargs: c.kwargs } : {}) });

describe('LearningRateSchedule vs get_scheduler', () => {
  for (const c of cases.filter((c) => c.metrics !== undefined)) {
    it(`${c.type} ${JSON.stringify(c.kwargs)}: the rate after each evaluation, as ${c.type === 'greedy' ? 'GreedyLR' : 'ReduceLROnPlateau'}.step`, () => {
      const schedule = build(c);
      expect(schedule.followsEvaluations).toBe(true);
      expect(schedule.rateAt(0)).toBe(c.learning_rate);
      c.metrics!.forEach((m, i) => {
        schedule.reportEvaluation(m);
        expect(schedule.rateAt(i + 1), `after evaluation ${i + 1}`).toBe(c.rates_after![i]);
      });
    });
  }

  for (const c of cases.filter((c) => c.error === undefined && c.metrics === undefined)) {
    it(`${c.type}${c.kwargs ? ` ${JSON.stringify(c.kwargs)}` : ''}, warmup ${c.warmup_steps}`, () => {
      const schedule = build(c);
      c.rates!.forEach((want, step) => expect(Math.abs(schedule.rateAt(step) - want), `step ${step}`).toBeLessThanOrEqual(1e-12 * c.learning_rate));
    });
  }

  for (const c of cases.filter((c) => c.error !== undefined)) {
    it(`${c.type} ${JSON.stringify(c.kwargs)} is refused, as Python raises ${c.error!.split(':')[0]}`, () => {
      expect(() => build(c)).toThrow(/lrSchedulerKwargs/);
    });
  }

  it('rejects unknown types, missing totals and bad kwargs, naming them', () => {
    expect(() => new LearningRateSchedule({ type: 'cyclic' as SchedulerType, learningRate: 1 })).toThrow(/expected one of "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts"/);
    expect(() => new LearningRateSchedule({ type: 'greedy', learningRate: 1, kwargs: { min_lr: [1e-5, 1e-5] } })).toThrow(/lrSchedulerKwargs.min_lr is a list; ved takes one number/);
    expect(() => new LearningRateSchedule({ type: 'linear', learningRate: 1 })).toThrow(/needs the number of training steps/);
    expect(() => new LearningRateSchedule({ type: 'polynomial', learningRate: 1 })).toThrow(/needs the number of training steps/);
    expect(() => new LearningRateSchedule({ learningRate: -1, totalSteps: 1 })).toThrow(/learningRate must be a non-negative number/);
    expect(() => new LearningRateSchedule({ type: 'cosine', learningRate: 1, totalSteps: 5, kwargs: { num_cycles: 'two' } })).toThrow('lrSchedulerKwargs.num_cycles is "two"; expected a number.');
    expect(() => new LearningRateSchedule({ type: 'inverse_sqrt', learningRate: 1, kwargs: { timescale: 0 } })).toThrow(/lrSchedulerKwargs.timescale is 0; expected a positive number/);
    expect(() => new LearningRateSchedule({ type: 'warmup_stable_decay', learningRate: 1, totalSteps: 9, kwargs: { num_decay_steps: 2.5 } })).toThrow(/num_decay_steps is 2.5; expected a whole number of steps/);
    // Python's LambdaLR divides by zero after the last update (ZeroDivisionError in Trainer.train).
    expect(() => new LearningRateSchedule({ type: 'polynomial', learningRate: 1, warmupSteps: 3, totalSteps: 3 })).toThrow(/divides by zero in transformers/);
    // Python ignores kwargs for the constant schedules (get_scheduler passes them none).
    expect(new LearningRateSchedule({ type: 'constant_with_warmup', learningRate: 1, warmupSteps: 2, kwargs: { num_cycles: 3 } }).rateAt(1)).toBe(0.5);
  });
});

describe('greedy: its counters saved and restored mid-sequence give the same rates', () => {
  for (const c of cases.filter((c) => c.type === 'greedy' && c.metrics !== undefined)) {
    it(JSON.stringify(c.kwargs), () => {
      const half = Math.floor(c.metrics!.length / 2);
      const first = build(c);
      c.metrics!.slice(0, half).forEach((m) => first.reportEvaluation(m));
      const saved = JSON.parse(JSON.stringify(first.state, (_k, v) => (v === Infinity || v === -Infinity ? String(v) : v)), (_k, v) =>
        v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v,
      );
      const second = build(c);
      second.loadState(saved);
      c.metrics!.slice(half).forEach((m, i) => {
        second.reportEvaluation(m);
        expect(second.rateAt(0), `after evaluation ${half + i + 1}`).toBe(c.rates_after![half + i]);
      });
    });
  }
});
