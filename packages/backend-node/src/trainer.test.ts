/**
 * The training loop of `@ved/training` on Node with a real checkpoint
 * (fixtures/models/vit-gpt2-a), its processor and tokenizer, and a synthetic
 * gradient engine (test-utils/synthetic-session.ts): batching and epochs,
 * accumulation, schedules, evaluation, saving, exact resume, divergence,
 * freezing and bad input.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VedError, VisionEncoderDecoderModel, loadWeights } from '@ved/core';
import { Trainer, TrainingDivergedError, type TrainingArguments, type TrainingExample, type StepMetrics } from '@ved/training';
import { collectGarbage } from './collect-garbage.js';
import { DirectoryFiles } from './directory-files.js';
import { ImageToText } from './pipeline.js';
import { nodeRuntime } from './runtime.js';
import { writeCheckpoint } from './save.js';
import { SyntheticSession } from './test-utils/synthetic-session.js';
import { fixturePath } from './test-utils/fixtures.js';

// RGB images (this checkpoint's processor does not convert L / RGBA), two of them twice with other texts.
const IMAGES = ['rgb_17x53.png', 'rgb_40x30.png', 'rgb_48x36.jpg', 'rgb_64x20.png', 'rgb_17x53.png', 'rgb_40x30.png'].map((f) => fixturePath('images', f));
const TEXTS = ['hello', 'world', 'a b c', 'the end', 'xyz', 'ok'];
const EXAMPLES: TrainingExample<string>[] = IMAGES.map((image, i) => ({ image, text: TEXTS[i]!, where: `example ${i}` }));

let pipe: ImageToText;
let model: VisionEncoderDecoderModel;
const tmp = mkdtempSync(join(tmpdir(), 'ved-trainer-'));
beforeAll(async () => {
  pipe = await ImageToText.fromPretrained(fixturePath('models', 'vit-gpt2-a'));
  model = pipe.model as VisionEncoderDecoderModel;
});
afterAll(async () => {
  await pipe?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  trainer: Trainer<string>;
  sessions: SyntheticSession[];
  steps: StepMetrics[];
}

interface Extra {
  dataset?: TrainingExample<string>[];
  save?: string;
  evalDataset?: TrainingExample<string>[] | Record<string, TrainingExample<string>[]>;
  onStep?: (m: StepMetrics) => void;
  onStepBegin?: (info: { step: number }) => void;
  lossOverride?: { call: number; loss: number };
}

function makeTrainer(args: TrainingArguments, extra: Extra = {}): Run {
  const sessions: SyntheticSession[] = [];
  const steps: StepMetrics[] = [];
  const trainer = new Trainer<string>({
    model,
    runtime: nodeRuntime,
    args,
    trainDataset: extra.dataset ?? EXAMPLES,
    ...(extra.evalDataset ? { evalDataset: extra.evalDataset } : {}),
    prepareImages: (images) => pipe.preprocess(images),
    tokenizer: pipe.tokenizer!,
    createSession: async (m, r, o) => {
      const s = await SyntheticSession.create(m, r, o);
      s.lossOverride = extra.lossOverride;
      sessions.push(s);
      return s;
    },
    ...(extra.save ? { saveCheckpoint: async (files) => void (await writeCheckpoint(extra.save!, files, [{ dir: fixturePath('models', 'vit-gpt2-a') }])) } : {}),
    callbacks: {
      ...(extra.onStepBegin ? { onStepBegin: extra.onStepBegin } : {}),
      onStep: (m) => {
        steps.push(m);
        extra.onStep?.(m);
      },
    },
  });
  return { trainer, sessions, steps };
}

describe('Trainer (synthetic gradients)', () => {
  it('runs the planned updates over shuffled epochs, with the schedule, clipping and AdamW', async () => {
    const run = makeTrainer({ batchSize: 4, numTrainEpochs: 2, learningRate: 0.01, warmupSteps: 1, seed: 3 });
    const out = await run.trainer.train();
    // 6 examples, batch 4 → 2 batches per epoch (4 + 2), 2 epochs → 4 updates.
    expect(out.globalStep).toBe(4);
    expect(run.steps.map((s) => s.examples)).toEqual([4, 2, 4, 2]);
    expect(run.steps.map((s) => s.epoch)).toEqual([0.5, 1, 1.5, 2]);
    // linear with 1 warmup step over 4: factors 0, 1, 2/3, 1/3.
    expect(run.steps.map((s) => s.learningRate)).toEqual([0, 0.01, 0.01 * (2 / 3), 0.01 * (1 / 3)]);
    expect(run.steps.every((s) => Number.isFinite(s.loss) && s.gradNorm > 0)).toBe(true);
    // Every example once per epoch, in a seeded order that differs between epochs.
    const rows = run.sessions[0]!.batches.map((b) => b.labels.length);
    expect(rows).toEqual([4, 2, 4, 2]);
    await run.trainer.dispose();
  });

  it('onStepBegin comes before each update\'s first batch (HF\'s on_step_begin)', async () => {
    const events: string[] = [];
    let run: Run | undefined;
    run = makeTrainer(
      { batchSize: 2, gradientAccumulationSteps: 2, maxSteps: 2, shuffle: false, learningRate: 0 },
      { onStepBegin: ({ step }) => events.push(`begin ${step} after ${run!.sessions[0]?.batches.length ?? 0} batches`), onStep: (m) => events.push(`step ${m.step}`) },
    );
    await run.trainer.train();
    expect(events).toEqual(['begin 1 after 0 batches', 'step 1', 'begin 2 after 2 batches', 'step 2']);
    await run.trainer.dispose();
  });

  it("holds no update's gradients during the next update's run (a collection at its start frees them)", async () => {
    // The gradients of a large model are as large as its weights: kept by the loop through the next run,
    // they added 913 MiB to ViT-B/16 + GPT-2's peak.
    const previous: Array<WeakRef<object>> = [];
    const collectable: boolean[] = [];
    const trainer = new Trainer<string>({
      model,
      runtime: nodeRuntime,
      args: { batchSize: 2, maxSteps: 4, shuffle: false, learningRate: 0.01 },
      trainDataset: EXAMPLES,
      prepareImages: (images) => pipe.preprocess(images),
      tokenizer: pipe.tokenizer!,
      createSession: async (m, r, o) => {
        const session = await SyntheticSession.create(m, r, o);
        const step = session.step.bind(session);
        session.step = async (batch) => {
          if (previous.length > 0) {
            collectGarbage();
            collectable.push(previous.map((ref) => ref.deref() === undefined).every(Boolean));
          }
          const result = await step(batch);
          previous.push(new WeakRef(result.grads), ...[...result.grads.values()].map((g) => new WeakRef(g)));
          return result;
        };
        return session;
      },
    });
    await trainer.train();
    expect(collectable).toEqual([true, true, true]);
    await trainer.dispose();
  });

  it('--no-shuffle keeps the dataset order epoch after epoch; labels padded with -100 and shifted right', async () => {
    const run = makeTrainer({ batchSize: 4, maxSteps: 3, shuffle: false, learningRate: 0 });
    await run.trainer.train();
    const tok = pipe.tokenizer!;
    const firstIds = (b: number) => run.sessions[0]!.batches[b]!.labels[0]!.filter((id) => id !== -100);
    expect(firstIds(0)).toEqual(tok.encode(TEXTS[0]!));
    expect(firstIds(1)).toEqual(tok.encode(TEXTS[4]!));
    expect(firstIds(2)).toEqual(tok.encode(TEXTS[0]!));
    const batch = run.sessions[0]!.batches[0]!;
    const width = batch.labels[0]!.length;
    expect(batch.labels.every((row) => row.length === width)).toBe(true);
    expect(batch.decoderInputIds!.map((row) => row[0])).toEqual([298, 298, 298, 298]);
    await run.trainer.dispose();
  });

  it('gradient accumulation: 2 micro-batches of 2 give the update of one batch of 4 (loss / accumulation steps)', async () => {
    const a = makeTrainer({ batchSize: 4, maxSteps: 1, shuffle: false, learningRate: 0.05, optim: 'sgd' }, { dataset: EXAMPLES.slice(0, 4) });
    const b = makeTrainer({ batchSize: 2, gradientAccumulationSteps: 2, maxSteps: 1, shuffle: false, learningRate: 0.05, optim: 'sgd' }, { dataset: EXAMPLES.slice(0, 4) });
    const [ra, rb] = [await a.trainer.train(), await b.trainer.train()];
    expect(rb.steps[0]!.loss).toBeCloseTo(ra.steps[0]!.loss, 6);
    expect(rb.steps[0]!.gradNorm).toBeCloseTo(ra.steps[0]!.gradNorm, 6);
    const name = 'decoder.transformer.wte.weight';
    const pa = a.sessions[0]!.parameters.get(name)!;
    const pb = b.sessions[0]!.parameters.get(name)!;
    let worst = 0;
    for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i]! - pb[i]!));
    expect(worst).toBeLessThan(1e-7);
    expect(b.sessions[0]!.batches.length).toBe(2);
    await a.trainer.dispose();
    await b.trainer.dispose();
  });

  it('the last update of an epoch accumulates the remaining batches', async () => {
    const run = makeTrainer({ batchSize: 1, gradientAccumulationSteps: 4, numTrainEpochs: 1, shuffle: false, learningRate: 0 });
    await run.trainer.train();
    expect(run.steps.map((s) => s.examples)).toEqual([4, 2]);
    await run.trainer.dispose();
  });

  it('resumes exactly: the same later losses and weights as an uninterrupted run', async () => {
    const args: TrainingArguments = { batchSize: 2, gradientAccumulationSteps: 2, maxSteps: 5, learningRate: 0.02, warmupSteps: 2, weightDecay: 0.1, seed: 11 };
    const full = makeTrainer(args);
    await full.trainer.train();

    const dir = join(tmp, 'resume');
    // Stopped during step 4 (saved at step 2): the checkpoint holds step 2.
    const controller = new AbortController();
    const first = makeTrainer({ ...args, saveSteps: 2 }, { save: dir, onStep: (m) => m.step === 3 && controller.abort(new Error('stop')) });
    await expect(first.trainer.train({ signal: controller.signal })).rejects.toThrow('stop');
    expect(first.trainer.step).toBe(3);
    const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'));
    expect(state.global_step).toBe(2);
    expect(state.log_history.map((e: { step: number }) => e.step)).toEqual([1, 2]);

    const resumed = makeTrainer(args);
    const out = await resumed.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(dir) });
    expect(out.steps.map((s) => s.step)).toEqual([3, 4, 5]);
    expect(out.steps.map((s) => s.loss)).toEqual(full.steps.slice(2).map((s) => s.loss));
    expect(out.steps.map((s) => s.gradNorm)).toEqual(full.steps.slice(2).map((s) => s.gradNorm));
    for (const [name, p] of full.sessions[0]!.parameters) expect(resumed.sessions[0]!.parameters.get(name), name).toEqual(p);
    await Promise.all([full.trainer.dispose(), first.trainer.dispose(), resumed.trainer.dispose()]);
  });

  it('loggingSteps: each log_history entry averages its window; a resumed run starts a new window, as Python', async () => {
    const args: TrainingArguments = { batchSize: 2, maxSteps: 7, learningRate: 0.02, seed: 3, loggingSteps: 3, loggingFirstStep: true };
    const training = (h: Array<Record<string, number>>) => h.filter((e) => 'loss' in e);
    const full = makeTrainer(args);
    await full.trainer.train();
    const history = (files: { name: string; bytes: Uint8Array }[]) =>
      training(JSON.parse(new TextDecoder().decode(files.find((f) => f.name === 'trainer_state.json')!.bytes)).log_history);
    const logged = history(await full.trainer.checkpointFiles());
    const mean = (from: number, to: number) => full.steps.slice(from, to).reduce((a, m) => a + m.loss, 0) / (to - from);
    // logging_first_step, then every 3 updates: windows [1], [2, 3], [4, 5, 6]; update 7 ends unlogged (as in Python).
    expect(logged.map((e) => e.step)).toEqual([1, 3, 6]);
    expect(logged.map((e) => e.loss)).toEqual([mean(0, 1), mean(1, 3), mean(3, 6)]);
    expect(logged[2]).toMatchObject({ learning_rate: full.steps[5]!.learningRate, grad_norm: full.steps[5]!.gradNorm, epoch: full.steps[5]!.epoch });
    expect(JSON.parse(new TextDecoder().decode((await full.trainer.checkpointFiles()).find((f) => f.name === 'trainer_state.json')!.bytes)).logging_steps).toBe(3);

    // Saved at update 4 and resumed: Python's `_globalstep_last_logged = global_step`, so update 6's entry averages 5 and 6.
    const dir = join(tmp, 'logging');
    const controller = new AbortController();
    const first = makeTrainer({ ...args, saveSteps: 4 }, { save: dir, onStep: (m) => m.step === 5 && controller.abort(new Error('stop')) });
    await expect(first.trainer.train({ signal: controller.signal })).rejects.toThrow('stop');
    const resumed = makeTrainer(args);
    await resumed.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(dir) });
    const after = history(await resumed.trainer.checkpointFiles());
    expect(after.map((e) => e.step)).toEqual([1, 3, 6]);
    expect(after[2]!.loss).toBe(mean(4, 6));
    // An epoch strategy logs at each epoch's end and where training stops inside one; "no" logs nothing.
    const byEpoch = makeTrainer({ batchSize: 2, numTrainEpochs: 2.5, learningRate: 0.02, loggingStrategy: 'epoch' });
    await byEpoch.trainer.train();
    expect(history(await byEpoch.trainer.checkpointFiles()).map((e) => e.step)).toEqual([3, 6, 8]);
    const none = makeTrainer({ batchSize: 2, maxSteps: 3, learningRate: 0.02, loggingStrategy: 'no' });
    await none.trainer.train();
    expect(history(await none.trainer.checkpointFiles())).toEqual([]);
    expect(() => makeTrainer({ loggingSteps: 2.5 })).toThrow(/loggingSteps is 2.5; expected a whole number of updates, or a ratio/);
    await Promise.all([full, first, resumed, byEpoch, none].map((r) => r.trainer.dispose()));
  });

  it('reduce_lr_on_plateau resumes exactly: its counters travel in trainer_state.json', async () => {
    const args: TrainingArguments = {
      batchSize: 2,
      maxSteps: 6,
      learningRate: 0.02,
      seed: 5,
      evalSteps: 1,
      predictWithGenerate: false,
      lrSchedulerType: 'reduce_lr_on_plateau',
      lrSchedulerKwargs: { patience: 0, factor: 0.5, threshold: 0.5 },
    };
    const evalDataset = EXAMPLES.slice(0, 2);
    const full = makeTrainer(args, { evalDataset });
    await full.trainer.train();
    // A threshold of 50% is never met after the first evaluation: the rate halves after each later one.
    expect(full.steps.map((s) => s.learningRate)).toEqual([0.02, 0.02, 0.01, 0.005, 0.0025, 0.00125]);

    const dir = join(tmp, 'plateau');
    const controller = new AbortController();
    const first = makeTrainer({ ...args, saveSteps: 3 }, { evalDataset, save: dir, onStep: (m) => m.step === 4 && controller.abort(new Error('stop')) });
    await expect(first.trainer.train({ signal: controller.signal })).rejects.toThrow('stop');
    const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'));
    expect(state.ved.lr_scheduler).toMatchObject({ lr: 0.005, num_bad_epochs: 0, cooldown_counter: 0 });
    const resumed = makeTrainer(args, { evalDataset });
    const out = await resumed.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(dir) });
    expect(out.steps.map((s) => [s.step, s.learningRate, s.loss])).toEqual(full.steps.slice(3).map((s) => [s.step, s.learningRate, s.loss]));
    await Promise.all([full.trainer.dispose(), first.trainer.dispose(), resumed.trainer.dispose()]);
    expect(() => makeTrainer({ ...args, evalSteps: undefined })).toThrow(/reduce_lr_on_plateau follows the evaluations/);

    // Stopped during update 4's evaluation and saved there (as ved train's Ctrl-C saves): the checkpoint records the
    // evaluation as pending, and the resumed run evaluates update 4 before update 5, as the uninterrupted run did.
    const during = join(tmp, 'plateau-during-eval');
    const stop = new AbortController();
    const cut = makeTrainer(args, { evalDataset, onStep: (m) => m.step === 4 && stop.abort(new Error('stop')) });
    await expect(cut.trainer.train({ signal: stop.signal })).rejects.toThrow('stop');
    const files = await cut.trainer.checkpointFiles();
    await writeCheckpoint(during, files, [{ dir: fixturePath('models', 'vit-gpt2-a') }]);
    expect(JSON.parse(readFileSync(join(during, 'trainer_state.json'), 'utf8'))).toMatchObject({ global_step: 4, ved: { evaluation_pending: true } });
    const again = makeTrainer(args, { evalDataset });
    const rest = await again.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(during) });
    expect(rest.evaluations.map((e) => e.step)).toEqual([4, 5, 6]);
    expect(rest.steps.map((s) => [s.step, s.learningRate, s.loss])).toEqual(full.steps.slice(4).map((s) => [s.step, s.learningRate, s.loss]));
    await Promise.all([cut.trainer.dispose(), again.trainer.dispose()]);
  });

  it('greedy resumes exactly: GreedyLR\'s counters and smoothing window travel in trainer_state.json', async () => {
    const args: TrainingArguments = {
      batchSize: 2,
      maxSteps: 8,
      learningRate: 0.02,
      seed: 5,
      evalSteps: 1,
      predictWithGenerate: false,
      lrSchedulerType: 'greedy',
      lrSchedulerKwargs: { patience: 0, factor: 0.5, min_lr: 1e-4, smooth: true, window_size: 2, cooldown: 1 },
    };
    const evalDataset = EXAMPLES.slice(0, 2);
    const full = makeTrainer(args, { evalDataset });
    await full.trainer.train();
    expect(new Set(full.steps.map((s) => s.learningRate)).size).toBeGreaterThan(1);

    const dir = join(tmp, 'greedy');
    const controller = new AbortController();
    const first = makeTrainer({ ...args, saveSteps: 4 }, { evalDataset, save: dir, onStep: (m) => m.step === 5 && controller.abort(new Error('stop')) });
    await expect(first.trainer.train({ signal: controller.signal })).rejects.toThrow('stop');
    const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'));
    expect(state.ved.lr_scheduler.window).toHaveLength(2);
    const resumed = makeTrainer(args, { evalDataset });
    const out = await resumed.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(dir) });
    expect(out.steps.map((s) => [s.step, s.learningRate, s.loss])).toEqual(full.steps.slice(4).map((s) => [s.step, s.learningRate, s.loss]));
    await Promise.all([full.trainer.dispose(), first.trainer.dispose(), resumed.trainer.dispose()]);
    // A plateau run cannot continue a greedy one's state.
    const plateau = makeTrainer({ ...args, lrSchedulerType: 'reduce_lr_on_plateau', lrSchedulerKwargs: {} }, { evalDataset });
    await expect(plateau.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(dir) })).rejects.toThrow(/The saved learning-rate schedule state is GreedyLR's, this run's schedule is reduce_lr_on_plateau/);
    await plateau.trainer.dispose();
    expect(() => makeTrainer({ ...args, evalSteps: undefined })).toThrow(/greedy follows the evaluations/);
  });

  it('saves a checkpoint Python can load: config, weights, processor and tokenizer, plus the trainer state', async () => {
    const dir = join(tmp, 'saved');
    writeFileSync(join(tmp, 'keep.txt'), 'x');
    const run = makeTrainer({ batchSize: 3, maxSteps: 2, learningRate: 0.01 }, { save: dir });
    await run.trainer.train();
    const files = new DirectoryFiles(dir);
    for (const name of ['config.json', 'generation_config.json', 'model.safetensors', 'preprocessor_config.json', 'tokenizer.json', 'optimizer.safetensors', 'trainer_state.json']) {
      expect(await files.exists(name), name).toBe(true);
    }
    const weights = await loadWeights(files);
    const name = 'decoder.transformer.wte.weight';
    expect(weights.getFloat32(name)).toEqual(run.sessions[0]!.parameters.get(name));
    // Frozen / untouched tensors come from the model as loaded.
    const reloaded = await VisionEncoderDecoderModel.fromPretrained(files, nodeRuntime);
    expect(reloaded.weights.names().sort()).toEqual(model.weights.names().sort());
    await reloaded.dispose();
    await run.trainer.dispose();
  });

  it('evaluates: eval loss per example, and generated texts scored by exact match and CER', async () => {
    const run = makeTrainer({ batchSize: 3, maxSteps: 2, evalSteps: 1, learningRate: 0 }, { evalDataset: EXAMPLES.slice(0, 3) });
    const evals: number[] = [];
    const out = await run.trainer.train();
    for (const e of out.evaluations) evals.push(e.step);
    expect(evals).toEqual([1, 2]);
    const e = out.evaluations[0]!;
    expect(Number.isFinite(e.evalLoss)).toBe(true);
    expect(e.exactMatch).toBeGreaterThanOrEqual(0);
    expect(e.cer).toBeGreaterThan(0); // a random tiny model does not read these
    await run.trainer.dispose();
  });

  it('evaluates named evaluation sets in turn (HF eval_dataset dict): eval_<name>_… metrics, one of which chooses the best', async () => {
    const sets = { first: EXAMPLES.slice(0, 2), second: EXAMPLES.slice(2, 5) };
    const run = makeTrainer({ batchSize: 3, maxSteps: 2, evalSteps: 1, learningRate: 0.01, metricForBestModel: 'eval_second_cer', greaterIsBetter: false }, { evalDataset: sets });
    const out = await run.trainer.train();
    expect(out.evaluations.map((e) => [e.step, e.dataset, e.examples])).toEqual([[1, 'first', 2], [1, 'second', 3], [2, 'first', 2], [2, 'second', 3]]);
    expect(out.bestMetric).toBe(Math.min(out.evaluations[1]!.cer!, out.evaluations[3]!.cer!));
    const history = JSON.parse(new TextDecoder().decode((await run.trainer.checkpointFiles()).find((f) => f.name === 'trainer_state.json')!.bytes)).log_history;
    const evalEntries = history.filter((e: Record<string, number>) => !('loss' in e));
    expect(evalEntries.map((e: Record<string, number>) => Object.keys(e).filter((k) => k.startsWith('eval_')))).toEqual([
      ['eval_first_loss', 'eval_first_exact_match', 'eval_first_cer', 'eval_first_wer'],
      ['eval_second_loss', 'eval_second_exact_match', 'eval_second_cer', 'eval_second_wer'],
      ['eval_first_loss', 'eval_first_exact_match', 'eval_first_cer', 'eval_first_wer'],
      ['eval_second_loss', 'eval_second_exact_match', 'eval_second_cer', 'eval_second_wer'],
    ]);
    expect((await run.trainer.evaluateDatasets()).map((e) => e.dataset)).toEqual(['first', 'second']);
    await expect(run.trainer.evaluate()).rejects.toThrow(/the evalDataset is named sets \(first, second\): evaluateDatasets\(\) evaluates each/);
    await run.trainer.dispose();

    // The default metric (loss) names no set's metric; a name must make metric names.
    const unnamed = makeTrainer({ maxSteps: 1, evalSteps: 1, loadBestModelAtEnd: true, saveSteps: 1 }, { evalDataset: sets });
    await expect(unnamed.trainer.train()).rejects.toThrow(/metricForBestModel "eval_loss" is none of the evaluation's metrics \(eval_first_loss, .*with named evaluation datasets, name one of theirs/);
    await unnamed.trainer.dispose();
    const badName = makeTrainer({ maxSteps: 1 }, { evalDataset: { 'my set': EXAMPLES.slice(0, 1) } });
    await expect(badName.trainer.train()).rejects.toThrow(/evalDataset name "my set": expected letters, digits and _/);
    await badName.trainer.dispose();
  });

  it('evaluates another dataset, under another prefix, with other generation settings (HF evaluate(eval_dataset, metric_key_prefix, **gen_kwargs))', async () => {
    const run = makeTrainer({ batchSize: 3, maxSteps: 1, learningRate: 0 }, { evalDataset: EXAMPLES.slice(0, 3) });
    const own = await run.trainer.evaluate();
    const other = await run.trainer.evaluate({ evalDataset: EXAMPLES.slice(3), metricKeyPrefix: 'test' });
    expect(other.examples).toBe(3);
    expect(other.metricKeyPrefix).toBe('test');
    const sets = await run.trainer.evaluateDatasets({ evalDataset: { first: EXAMPLES.slice(0, 3), second: EXAMPLES.slice(3) }, metricKeyPrefix: 'test' });
    // The same numbers as the Trainer's own set and the single call on the same examples.
    expect(sets.map((e) => [e.dataset, e.metricKeyPrefix])).toEqual([['first', 'test'], ['second', 'test']]);
    const numbers = ({ evalLoss, exactMatch, cer, wer }: typeof own) => ({ evalLoss, exactMatch, cer, wer });
    expect(numbers(sets[0]!)).toEqual(numbers(own));
    expect(numbers(sets[1]!)).toEqual(numbers(other));
    const history = JSON.parse(new TextDecoder().decode((await run.trainer.checkpointFiles()).find((f) => f.name === 'trainer_state.json')!.bytes)).log_history;
    expect(history.map((e: Record<string, number>) => Object.keys(e).filter((k) => k !== 'epoch' && k !== 'step'))).toEqual([
      ['eval_loss', 'eval_exact_match', 'eval_cer', 'eval_wer'],
      ['test_loss', 'test_exact_match', 'test_cer', 'test_wer'],
      ['test_first_loss', 'test_first_exact_match', 'test_first_cer', 'test_first_wer'],
      ['test_second_loss', 'test_second_exact_match', 'test_second_cer', 'test_second_wer'],
    ]);
    // An AbortSignal alone is still evaluate(signal).
    expect(numbers(await run.trainer.evaluate(new AbortController().signal))).toEqual(numbers(own));

    // Seq2SeqTrainer's gen_kwargs: this call's max_length / num_beams over generationMaxLength / generationNumBeams.
    const short = await run.trainer.predict(EXAMPLES, { maxLength: 3, metricKeyPrefix: 'short' });
    expect(short.predictionIds!.every((ids) => ids.length <= 3)).toBe(true);
    expect(Object.keys(short.metrics)).toEqual(['short_loss', 'short_exact_match', 'short_cer', 'short_wer']);
    const beams = makeTrainer({ batchSize: 3, maxSteps: 1, learningRate: 0, generationNumBeams: 3, generationMaxLength: 6 }, {});
    const byArgs = await beams.trainer.predict(EXAMPLES);
    expect((await run.trainer.predict(EXAMPLES, { numBeams: 3, maxLength: 6 })).predictionIds).toEqual(byArgs.predictionIds);
    expect((await beams.trainer.evaluate({ evalDataset: EXAMPLES })).cer).toBe(byArgs.metrics.test_cer);

    await expect(beams.trainer.evaluate()).rejects.toThrow(/evaluate\(\) needs an evalDataset \(the Trainer's, or the call's\)/);
    await expect(run.trainer.evaluate({ evalDataset: { first: EXAMPLES } })).rejects.toThrow(/evaluate\(\) gives one evaluation; the evalDataset given is named sets \(first\)/);
    await expect(run.trainer.evaluate({ metricKeyPrefix: 'my eval' })).rejects.toThrow(/metricKeyPrefix "my eval": expected letters, digits and _/);
    await expect(run.trainer.evaluate({ evalDataset: [] })).rejects.toThrow(/evaluation dataset holds no examples/i);
    await beams.trainer.dispose();
    await run.trainer.dispose();
  });

  it('evalDelay skips the evaluations before it (the last one too); evalOnStart adds one before the first update', async () => {
    const steps = async (args: TrainingArguments) => {
      const run = makeTrainer({ batchSize: 3, learningRate: 0, predictWithGenerate: false, ...args }, { evalDataset: EXAMPLES.slice(0, 2) });
      try {
        return (await run.trainer.train()).evaluations.map((e) => e.step);
      } finally {
        await run.trainer.dispose();
      }
    };
    expect(await steps({ maxSteps: 7, evalSteps: 2, evalDelay: 3 })).toEqual([4, 6, 7]);
    expect(await steps({ maxSteps: 3, evalSteps: 2, evalDelay: 5 })).toEqual([]);
    expect(await steps({ maxSteps: 3, evalSteps: 2, evalOnStart: true })).toEqual([0, 2, 3]);
    expect(() => makeTrainer({ evalDelay: -1 })).toThrow(/evalDelay is -1; expected a non-negative number of updates/);
    const noEval = makeTrainer({ maxSteps: 1, evalOnStart: true });
    await expect(noEval.trainer.train()).rejects.toThrow(/evalOnStart follows the evaluations: give an evalDataset/);
    await noEval.trainer.dispose();
  });

  it('stops on a NaN loss with an error naming the step; the last checkpoint stays', async () => {
    const dir = join(tmp, 'diverged');
    const run = makeTrainer({ batchSize: 3, maxSteps: 4, saveSteps: 1, learningRate: 0.01 }, { save: dir, lossOverride: { call: 3, loss: Number.NaN } });
    const err = await run.trainer.train().catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as TrainingDivergedError).step).toBe(3);
    expect((err as Error).message).toMatch(/Training diverged at step 3: the loss is NaN/);
    expect(JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')).global_step).toBe(2);
    await run.trainer.dispose();
  });

  it('a checkpoint save stopped after any file leaves --out loadable; resuming from it is exact or a typed error', async () => {
    const args: TrainingArguments = { batchSize: 2, maxSteps: 4, learningRate: 0.02, lrSchedulerType: 'constant', seed: 5 };
    const full = makeTrainer(args);
    await full.trainer.train();
    const step4 = await full.trainer.checkpointFiles();
    const pristine = join(tmp, 'save-stopped-pristine');
    const before = makeTrainer({ ...args, maxSteps: 2 }, { save: pristine });
    await before.trainer.train();
    await before.trainer.dispose();
    const dir = join(tmp, 'save-stopped');
    const copies = [{ dir: fixturePath('models', 'vit-gpt2-a') }];
    let total = 0;
    await writeCheckpoint(join(tmp, 'save-count'), step4, copies, { onProgress: (e) => void (total = e.total) });
    const outcomes = new Set<string>();
    for (let stop = 1; stop <= total; stop++) {
      rmSync(dir, { recursive: true, force: true });
      cpSync(pristine, dir, { recursive: true });
      const err = await writeCheckpoint(dir, step4, copies, {
        onProgress: (e) => {
          if (e.done === stop) throw new Error(`stopped after ${e.phase} ${e.name}`);
        },
      }).catch((e) => e);
      expect(err).toBeInstanceOf(VedError);
      // Loadable as a model, whatever the file the save stopped at.
      const loaded = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      await loaded.dispose();
      const resumed = makeTrainer(args);
      const out = await resumed.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(dir) }).catch((e) => e);
      if (out instanceof Error) {
        expect(out, `stopped at ${stop}: ${(err as Error).message}`).toBeInstanceOf(VedError);
        outcomes.add('refused');
      } else {
        // Resumed from step 2 or step 4: the later updates are the uninterrupted run's.
        const from = 4 - out.steps.length;
        expect([2, 4]).toContain(from);
        expect(out.steps.map((m: StepMetrics) => m.loss)).toEqual(full.steps.slice(from).map((m) => m.loss));
        for (const [name, p] of full.sessions[0]!.parameters) expect(resumed.sessions[0]!.parameters.get(name), name).toEqual(p);
        outcomes.add(`from ${from}`);
      }
      await resumed.trainer.dispose();
    }
    expect(outcomes.has('from 2')).toBe(true);
    await full.trainer.dispose();
  });

  it('freezes by prefix: the encoder gets no parameters in the session', async () => {
    const run = makeTrainer({ maxSteps: 1, freeze: ['encoder.'], learningRate: 0 });
    await run.trainer.train();
    const names = [...run.sessions[0]!.parameters.keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.some((n) => n.startsWith('encoder.'))).toBe(false);
    await run.trainer.dispose();
    const bad = makeTrainer({ maxSteps: 1, freeze: ['encodr.'] });
    await expect(bad.trainer.train()).rejects.toThrow(/freeze prefix "encodr." matches no weight/);
  });

  it('refuses to resume from another model\'s state', async () => {
    const dir = join(tmp, 'other');
    const otherPipe = await ImageToText.fromPretrained(fixturePath('models', 'vit-gpt2-b'));
    const other = new Trainer<string>({
      model: otherPipe.model as VisionEncoderDecoderModel,
      runtime: nodeRuntime,
      args: { maxSteps: 1, batchSize: 6 },
      trainDataset: EXAMPLES.map(({ image }) => ({ image, labels: [5, 6] })),
      prepareImages: (images) => otherPipe.preprocess(images),
      createSession: (m, r, o) => SyntheticSession.create(m, r, o),
      saveCheckpoint: async (files) => void (await writeCheckpoint(dir, files)),
    });
    await other.train();
    await other.dispose();
    await otherPipe.dispose();
    const run = makeTrainer({ maxSteps: 2, batchSize: 6 });
    const err = await run.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(dir) }).catch((e) => e);
    expect(err).toBeInstanceOf(VedError);
    expect((err as Error).message).toMatch(/holds the training state of another model/);
    await run.trainer.dispose();
  });

  it("shuffles as HF Trainer (torch.randperm seeded with dataSeed + epoch); a resumed run keeps the data seed and order", async () => {
    // (The order itself is checked against HF Trainer's in fine-tune.golden.test.ts, cases adamw_shuffle and sgd_shuffle_data_seed.)
    const args: TrainingArguments = { batchSize: 6, maxSteps: 3, learningRate: 0.01, seed: 3, dataSeed: 11 };
    const run = makeTrainer(args, { save: join(tmp, 'shuffled') });
    await run.trainer.train();
    const state = JSON.parse(readFileSync(join(tmp, 'shuffled', 'trainer_state.json'), 'utf8'));
    expect(state.ved).toMatchObject({ shuffle: true, data_seed: 11, data_order: 'torch' });
    await run.trainer.dispose();

    const other = makeTrainer({ ...args, maxSteps: 4, dataSeed: 12 });
    expect(await other.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(join(tmp, 'shuffled')) }).catch((e) => e)).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/dataSeed was 11, now 12/),
    });
    await other.trainer.dispose();
    // A shuffled run saved by an earlier ved (no data_order) drew another order: refused, not silently reordered.
    delete state.ved.data_order;
    delete state.ved.data_seed;
    writeFileSync(join(tmp, 'shuffled', 'trainer_state.json'), JSON.stringify(state));
    const old = makeTrainer({ batchSize: 6, maxSteps: 4, learningRate: 0.01, seed: 3 });
    expect(await old.trainer.train({ resumeFromCheckpoint: new DirectoryFiles(join(tmp, 'shuffled')) }).catch((e) => e)).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/an earlier version of ved saved it, whose shuffled data order is not this one's/),
    });
    await old.trainer.dispose();
  });

  it('names the example whose image fails to decode', async () => {
    const broken = join(tmp, 'broken.png');
    writeFileSync(broken, 'not a png');
    const run = makeTrainer({ maxSteps: 1, batchSize: 2, shuffle: false }, { dataset: [EXAMPLES[0]!, { image: broken, text: 'x', where: 'train.jsonl, line 2' }] });
    const err = await run.trainer.train().catch((e) => e);
    expect(err).toBeInstanceOf(VedError);
    expect((err as Error).message).toMatch(/^train.jsonl, line 2: /);
    await run.trainer.dispose();
  });
});
