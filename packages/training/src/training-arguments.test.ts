/** TrainingArguments defaults, validation and the plan (Trainer.set_initial_training_values). */
import { describe, expect, it } from 'vitest';
import { planTraining, resolveArguments, updateBatches } from './training-arguments.js';

describe('resolveArguments', () => {
  it("has HF TrainingArguments' defaults", () => {
    const a = resolveArguments();
    expect(a).toMatchObject({
      learningRate: 5e-5,
      weightDecay: 0,
      adamBeta1: 0.9,
      adamBeta2: 0.999,
      adamEpsilon: 1e-8,
      maxGradNorm: 1,
      gradientAccumulationSteps: 1,
      numTrainEpochs: 3,
      maxSteps: -1,
      lrSchedulerType: 'linear',
      warmupSteps: 0,
      seed: 42,
      batchSize: 8,
      optim: 'adamw',
    });
  });

  it('rejects unknown and bad options, naming them', () => {
    expect(() => resolveArguments({ learningrate: 1 } as never)).toThrow(/Unknown training argument "learningrate"/);
    expect(() => resolveArguments({ batchSize: 0 })).toThrow(/batchSize is 0; expected a positive integer/);
    expect(() => resolveArguments({ optim: 'adam' as never })).toThrow(/optim is "adam"; expected "adamw", "adamw_torch", "adamw_torch_fused", "sgd"/);
    expect(() => resolveArguments({ warmupSteps: 2.5 })).toThrow(/warmupSteps is 2.5/);
    expect(() => resolveArguments({ labelSmoothingFactor: 1.5 })).toThrow(/labelSmoothingFactor is 1.5; expected a number in \[0, 1\]/);
    expect(() => resolveArguments({ lrSchedulerKwargs: [] as never })).toThrow(/lrSchedulerKwargs is \[\]/);
    // A schedule's kwargs are checked here, before any model loads.
    expect(() => resolveArguments({ lrSchedulerType: 'polynomial', learningRate: 1e-8 })).toThrow(/lr_end \(1e-7\) must be smaller than the learning rate/);
    expect(() => resolveArguments({ lrSchedulerType: 'linear', lrSchedulerKwargs: { num_cycles: 2 } })).toThrow(/the linear schedule has no "num_cycles" \(it takes none\)/);
    expect(() => resolveArguments({ optimArgs: { momentum: 0.9 } })).toThrow(/optimArgs is \{"momentum":0.9\}; expected none for adamw \(SGD, RMSprop and Adagrad take optimArgs\)/);
    expect(() => resolveArguments({ optim: 'adagrad', optimArgs: { momentum: 0.9 } })).toThrow(/expected only lrDecay, eps for adagrad/);
    expect(resolveArguments({ optim: 'rmsprop', optimArgs: { momentum: 0.5, centered: true, eps: 1e-6 } })).toMatchObject({ optim: 'rmsprop', momentum: 0.5, centered: true, optimEps: 1e-6, alpha: 0.99 });
    expect(() => resolveArguments({ maxSteps: 0 })).toThrow(/maxSteps is 0/);
    expect(resolveArguments({ optim: 'adamw_torch' }).optim).toBe('adamw');
    expect(resolveArguments({ optim: 'adamw_torch_fused' }).optim).toBe('adamw');
  });

  it('takes the sampling strategy as train_sampling_strategy, or shuffle as its short form', () => {
    const of = (a: Parameters<typeof resolveArguments>[0]) => {
      const r = resolveArguments(a);
      return [r.trainSamplingStrategy, r.shuffle];
    };
    expect(of({})).toEqual(['random', true]);
    expect(of({ shuffle: false })).toEqual(['sequential', false]);
    expect(of({ trainSamplingStrategy: 'group_by_length' })).toEqual(['group_by_length', true]);
    expect(of({ trainSamplingStrategy: 'sequential', shuffle: false })).toEqual(['sequential', false]);
    expect(() => resolveArguments({ trainSamplingStrategy: 'group_by_length', shuffle: false })).toThrow(/shuffle is false; expected true with trainSamplingStrategy "group_by_length" \(or leave it out\)/);
    expect(() => resolveArguments({ trainSamplingStrategy: 'batch_rebalance' as never })).toThrow(/trainSamplingStrategy is "batch_rebalance"; expected "random", "sequential", "group_by_length"/);
  });

  it('defaults and checks the best-model options as TrainingArguments.__post_init__', () => {
    expect(resolveArguments()).toMatchObject({ loadBestModelAtEnd: false, metricForBestModel: undefined, greaterIsBetter: undefined, earlyStoppingPatience: undefined });
    // metric_for_best_model defaults to "loss" with load_best_model_at_end (and reduce_lr_on_plateau); greater_is_better
    // follows the name: false when it ends in "loss", else true — also for "cer", so that one needs greaterIsBetter false.
    expect(resolveArguments({ loadBestModelAtEnd: true, evalSteps: 5, saveSteps: 10 })).toMatchObject({ metricForBestModel: 'eval_loss', greaterIsBetter: false });
    expect(resolveArguments({ lrSchedulerType: 'reduce_lr_on_plateau', evalSteps: 1 })).toMatchObject({ metricForBestModel: 'eval_loss', greaterIsBetter: false });
    expect(resolveArguments({ metricForBestModel: 'exact_match' })).toMatchObject({ metricForBestModel: 'eval_exact_match', greaterIsBetter: true });
    expect(resolveArguments({ metricForBestModel: 'eval_cer' })).toMatchObject({ metricForBestModel: 'eval_cer', greaterIsBetter: true });
    expect(resolveArguments({ metricForBestModel: 'cer', greaterIsBetter: false }).greaterIsBetter).toBe(false);
    // Early stopping alone takes the loss (Python asserts a metric there).
    expect(resolveArguments({ earlyStoppingPatience: 2, evalSteps: 1 })).toMatchObject({ metricForBestModel: 'eval_loss', earlyStoppingThreshold: 0 });

    // save_strategy "best": a save after each new best; the best model needs no saveSteps then.
    expect(resolveArguments({ saveStrategy: 'best', evalSteps: 2, loadBestModelAtEnd: true })).toMatchObject({ saveStrategy: 'best', metricForBestModel: 'eval_loss' });
    expect(() => resolveArguments({ saveStrategy: 'best' })).toThrow(/saveStrategy is "best"; expected evalSteps or evalStrategy "epoch" with it/);
    expect(() => resolveArguments({ saveStrategy: 'best', evalSteps: 1, saveSteps: 2 })).toThrow(/saveSteps is 2; expected none with saveStrategy "best"/);
    expect(() => resolveArguments({ saveStrategy: 'checkpoint' as never })).toThrow(/saveStrategy is "checkpoint"; expected "no", "steps", "epoch", "best"/);
    // Another name is one of computeMetrics' results (the Trainer checks it has one); greater_is_better as Python.
    expect(resolveArguments({ metricForBestModel: 'bleu' })).toMatchObject({ metricForBestModel: 'eval_bleu', greaterIsBetter: true });
    expect(() => resolveArguments({ metricForBestModel: 'eval-loss' })).toThrow(/metricForBestModel is "eval-loss"; expected a metric's name: "loss", "exact_match", "cer", "wer" or one computeMetrics returns/);
    expect(() => resolveArguments({ metricForBestModel: 'cer', predictWithGenerate: false })).toThrow(/eval_cer is measured on generated texts/);
    expect(() => resolveArguments({ greaterIsBetter: true })).toThrow(/greaterIsBetter is true; expected it only with metricForBestModel/);
    expect(() => resolveArguments({ loadBestModelAtEnd: true, saveSteps: 10 })).toThrow(/loadBestModelAtEnd is true; expected evalSteps or evalStrategy "epoch" with it/);
    expect(() => resolveArguments({ loadBestModelAtEnd: true, evalSteps: 4 })).toThrow(/saveSteps is undefined; expected a multiple of evalSteps \(4;/);
    expect(() => resolveArguments({ loadBestModelAtEnd: true, evalSteps: 4, saveSteps: 6 })).toThrow(/saveSteps is 6; expected a multiple of evalSteps \(4;/);
    expect(() => resolveArguments({ earlyStoppingPatience: 2 })).toThrow(/earlyStoppingPatience is 2; expected evalSteps or evalStrategy "epoch" with it/);
    expect(() => resolveArguments({ earlyStoppingPatience: 0, evalSteps: 1 })).toThrow(/earlyStoppingPatience is 0; expected a positive integer/);
    expect(() => resolveArguments({ earlyStoppingThreshold: 0.1 })).toThrow(/earlyStoppingThreshold is 0.1; expected it only with earlyStoppingPatience/);
    expect(() => resolveArguments({ earlyStoppingPatience: 1, evalSteps: 1, earlyStoppingThreshold: -1 })).toThrow(/earlyStoppingThreshold is -1/);
  });

  it('resolves the evaluation and save strategies as TrainingArguments.__post_init__ checks them', () => {
    // No strategy: ved's evaluation after the last update; evalSteps implies "steps".
    expect(resolveArguments()).toMatchObject({ evalStrategy: undefined, saveStrategy: 'steps' });
    expect(resolveArguments({ evalSteps: 3 })).toMatchObject({ evalStrategy: 'steps', evalSteps: 3 });
    expect(resolveArguments({ evalStrategy: 'epoch', saveStrategy: 'epoch', loadBestModelAtEnd: true })).toMatchObject({ evalStrategy: 'epoch', saveStrategy: 'epoch', metricForBestModel: 'eval_loss' });
    expect(resolveArguments({ evalStrategy: 'epoch', earlyStoppingPatience: 2 })).toMatchObject({ metricForBestModel: 'eval_loss' });
    expect(resolveArguments({ evalStrategy: 'epoch', saveStrategy: 'best', loadBestModelAtEnd: true })).toMatchObject({ saveStrategy: 'best' });
    expect(resolveArguments({ evalStrategy: 'epoch', lrSchedulerType: 'reduce_lr_on_plateau' })).toMatchObject({ metricForBestModel: 'eval_loss' });
    expect(resolveArguments({ evalStrategy: 'no', saveStrategy: 'no' })).toMatchObject({ evalStrategy: 'no', saveStrategy: 'no' });
    expect(() => resolveArguments({ evalStrategy: 'sometimes' as never })).toThrow(/evalStrategy is "sometimes"; expected "no", "steps", "epoch"/);
    expect(() => resolveArguments({ evalStrategy: 'steps' })).toThrow(/evalStrategy is "steps"; expected evalSteps with it/);
    expect(() => resolveArguments({ evalStrategy: 'epoch', evalSteps: 2 })).toThrow(/evalSteps is 2; expected none with evalStrategy "epoch"/);
    expect(() => resolveArguments({ saveStrategy: 'epoch', saveSteps: 2 })).toThrow(/saveSteps is 2; expected none with saveStrategy "epoch"/);
    expect(() => resolveArguments({ evalStrategy: 'no', lrSchedulerType: 'greedy' })).toThrow(/lrSchedulerType is "greedy"; expected evalSteps or evalStrategy "epoch" with it/);
    expect(() => resolveArguments({ evalStrategy: 'no', earlyStoppingPatience: 1 })).toThrow(/earlyStoppingPatience is 1; expected evalSteps or evalStrategy "epoch"/);
    // load_best_model_at_end: "requires the save and eval strategy to match, except when --save_strategy="best"".
    expect(() => resolveArguments({ evalStrategy: 'epoch', loadBestModelAtEnd: true })).toThrow(/saveStrategy is undefined; expected "epoch" \(or "best"\) with evalStrategy "epoch"/);
    expect(() => resolveArguments({ evalStrategy: 'epoch', saveStrategy: 'steps', saveSteps: 2, loadBestModelAtEnd: true })).toThrow(/saveStrategy is "steps"; expected "epoch"/);
    expect(() => resolveArguments({ evalSteps: 2, saveStrategy: 'epoch', loadBestModelAtEnd: true })).toThrow(/saveSteps is undefined; expected a multiple of evalSteps \(2/);
    // Mixed strategies without the best model are Python's too.
    expect(resolveArguments({ evalStrategy: 'epoch', saveSteps: 2, earlyStoppingPatience: 1 })).toMatchObject({ saveStrategy: 'steps', saveSteps: 2 });
  });

  it('takes evalSteps and saveSteps as ratios of the total updates (TrainerState.compute_steps)', () => {
    const args = resolveArguments({ maxSteps: 7, evalSteps: 0.25, saveSteps: 0.5, loadBestModelAtEnd: true });
    expect(args).toMatchObject({ evalSteps: 0.25, saveSteps: 0.5 });
    expect(planTraining(args, 8)).toMatchObject({ totalSteps: 7, evalSteps: 2, saveSteps: 4 });
    expect(planTraining(resolveArguments({ evalSteps: 5, saveSteps: 3 }), 8)).toMatchObject({ evalSteps: 5, saveSteps: 3 });
    expect(() => resolveArguments({ evalSteps: 1.5 })).toThrow(/evalSteps is 1.5; expected a whole number of updates, or a ratio of the total in \(0, 1\)/);
    expect(() => resolveArguments({ saveSteps: 0 })).toThrow(/saveSteps is 0; expected a whole number/);
    // With the best model: the save a multiple of the evaluation (a count and a ratio only where the first test passes).
    expect(() => resolveArguments({ evalSteps: 0.3, saveSteps: 4, loadBestModelAtEnd: true })).toThrow(/saveSteps is 4; expected a multiple of evalSteps \(0.3; two ratios are compared as ratios\)/);
    // Python's first test is save_steps % eval_steps as given: 2 updates against a ratio of 0.25 passes it.
    expect(resolveArguments({ evalSteps: 0.25, saveSteps: 2, loadBestModelAtEnd: true }).saveSteps).toBe(2);
    expect(() => resolveArguments({ evalSteps: 0.2, saveSteps: 0.3, loadBestModelAtEnd: true })).toThrow(/saveSteps is 0.3; expected a multiple/);
    expect(resolveArguments({ evalSteps: 0.1, saveSteps: 0.3, loadBestModelAtEnd: true }).saveSteps).toBe(0.3);
  });
});

describe('planTraining / updateBatches', () => {
  it('counts updates per epoch with the remainder, as HF', () => {
    // 10 examples, batch 3 → 4 batches; accumulation 3 → updates of 3 and 1 batches.
    const args = resolveArguments({ batchSize: 3, gradientAccumulationSteps: 3, numTrainEpochs: 2 });
    const plan = planTraining(args, 10);
    expect(plan).toMatchObject({ batchesPerEpoch: 4, updatesPerEpoch: 2, totalSteps: 4, epochs: 2 });
    expect([1, 2, 3, 4].map((s) => updateBatches(plan, 3, s))).toEqual([
      { epoch: 0, batches: [0, 1, 2] },
      { epoch: 0, batches: [3] },
      { epoch: 1, batches: [0, 1, 2] },
      { epoch: 1, batches: [3] },
    ]);
  });

  it('maxSteps overrides epochs; fractional epochs round up; warmup ratio', () => {
    const plan = planTraining(resolveArguments({ batchSize: 4, maxSteps: 7, warmupSteps: 0.25 }), 8);
    expect(plan).toMatchObject({ updatesPerEpoch: 2, totalSteps: 7, epochs: 4, warmupSteps: 2 });
    expect(planTraining(resolveArguments({ batchSize: 4, numTrainEpochs: 1.5 }), 8)).toMatchObject({ totalSteps: 3, epochs: 2 });
  });
});
