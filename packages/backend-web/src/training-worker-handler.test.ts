/**
 * The training worker's handler on Node with onnxruntime-web (WASM): it loads
 * the tiny checkpoint of fixtures/optim/train, fine-tunes it with the AdamW
 * case of HF Trainer's reference (tools/reference/make_optimizer_fixtures.py)
 * and posts every update — the same losses as PyTorch's —, captions with the
 * trained weights, and stops on `abort` keeping the updates done. The browser
 * runs the same handler in a Web Worker (apps/docs' training page test). The best model and early
 * stopping of the fixture's adamw_best, adamw_epoch and adamw_eval_sets cases stop where Python stops; the
 * length-grouped case sgd_group_by_length_sets trains on Python's batches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DirectoryFiles, readImageFile } from '@ved/backend-node';
import { ImageToText } from './pipeline.js';
import { createTrainingWorkerHandler } from './training-worker-handler.js';
import type { FromTrainingWorker, ToTrainingWorker, TrainSummary } from './training-worker-protocol.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIR = join(ROOT, 'fixtures/optim/train');
const reference = JSON.parse(readFileSync(join(DIR, 'reference.json'), 'utf8'));
const manifest = readFileSync(join(DIR, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { image: string; text: string });

/** A worker in-process: send messages, collect what it posts. */
function worker() {
  const posted: FromTrainingWorker[] = [];
  const waiters = new Map<number, (m: FromTrainingWorker) => void>();
  const handle = createTrainingWorkerHandler({
    post: (m) => {
      posted.push(m);
      if (['loaded', 'trained', 'result', 'done', 'error'].includes(m.type)) waiters.get(m.id)?.(m);
    },
    // Whole files in memory, as a browser fetches them (no file paths for onnxruntime-web).
    open: (model, options) => {
      const d = new DirectoryFiles(model);
      return ImageToText.fromPretrained({ location: d.location, exists: (n) => d.exists(n), readBytes: (n) => d.readBytes(n) }, options);
    },
  });
  let id = 0;
  const send = (message: DistributiveOmit<ToTrainingWorker, 'id'>): Promise<FromTrainingWorker> => {
    const m = { ...message, id: ++id } as ToTrainingWorker;
    const done = new Promise<FromTrainingWorker>((resolve) => waiters.set(m.id, resolve));
    handle(m);
    return done;
  };
  return { posted, send, nextId: () => id + 1 };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const ADAMW = { learningRate: 5e-3, weightDecay: 0.01, maxGradNorm: 0.5, lrSchedulerType: 'linear', warmupSteps: 2, gradientAccumulationSteps: 2, batchSize: 2, maxSteps: 5, shuffle: false, dropout: false } as const;

describe('training worker (onnxruntime-web, WASM)', () => {
  it('fine-tunes with PyTorch\'s losses, posts every update, then captions with the trained weights', async () => {
    const w = worker();
    expect((await w.send({ type: 'load', model: DIR, options: {} })).type).toBe('loaded');
    const images = await Promise.all(manifest.map((e) => readImageFile(join(DIR, e.image))));
    const before = (await w.send({ type: 'caption', images: [images[0]!], options: { maxNewTokens: 5 } })) as Extract<FromTrainingWorker, { type: 'result' }>;
    const trained = await w.send({ type: 'train', examples: images.map((image, i) => ({ image, text: manifest[i]!.text })), args: ADAMW });
    expect(trained.type).toBe('trained');
    const result = (trained as { result: TrainSummary }).result;
    expect(result).toMatchObject({ globalStep: 5, aborted: false });
    const expected = reference.cases.adamw.steps as { loss: number; learning_rate: number }[];
    const steps = w.posted.filter((m) => m.type === 'step').map((m) => (m as Extract<FromTrainingWorker, { type: 'step' }>).metrics);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    steps.forEach((s, i) => {
      expect(Math.abs(s.loss - expected[i]!.loss)).toBeLessThan(1e-4);
      expect(s.learningRate).toBeCloseTo(expected[i]!.learning_rate, 12);
    });
    const after = (await w.send({ type: 'caption', images: [images[0]!], options: { maxNewTokens: 5 } })) as Extract<FromTrainingWorker, { type: 'result' }>;
    expect(after.result.sequences).not.toEqual(before.result.sequences);
    expect((await w.send({ type: 'dispose' })).type).toBe('done');
  });

  it('the best model and early stopping on onnxruntime-web as HF Trainer (fixture case adamw_best): where training stopped and which update came back', async () => {
    const w = worker();
    await w.send({ type: 'load', model: DIR, options: {} });
    const images = await Promise.all(manifest.map((e) => readImageFile(join(DIR, e.image))));
    const examples = images.map((image, i) => ({ image, text: manifest[i]!.text }));
    const ref = reference.cases.adamw_best;
    const args = {
      learningRate: 0.06, weightDecay: 0, maxGradNorm: 1, lrSchedulerType: 'constant', batchSize: 2, maxSteps: 12, shuffle: false, dropout: false,
      evalSteps: 1, evalBatchSize: 2, predictWithGenerate: false, saveSteps: 2, loadBestModelAtEnd: true, earlyStoppingPatience: 3, earlyStoppingThreshold: 0.2,
    } as const;
    const trained = await w.send({ type: 'train', examples, evalExamples: (ref.eval_examples as number[]).map((k) => examples[k]!), args });
    const result = (trained as { result: TrainSummary }).result;
    expect(result).toMatchObject({ globalStep: 10, stoppedEarly: true, bestGlobalStep: 8, bestModelStep: 8, aborted: false });
    expect(Math.abs(result.bestMetric! - ref.best_metric)).toBeLessThan(1e-4);

    // Evaluations and checkpoints every epoch from epoch 2 on (fixture case adamw_epoch): HF's stop and best. The
    // worker trains on from the weights it holds, so the checkpoint is loaded again first.
    await w.send({ type: 'load', model: DIR, options: {} });
    const epoch = reference.cases.adamw_epoch;
    const byEpoch = await w.send({
      type: 'train',
      examples,
      evalExamples: (epoch.eval_examples as number[]).map((k) => examples[k]!),
      args: {
        learningRate: 0.15, weightDecay: 0, maxGradNorm: 1, lrSchedulerType: 'constant', batchSize: 2, gradientAccumulationSteps: 2, numTrainEpochs: 8,
        shuffle: false, dropout: false, evalStrategy: 'epoch', evalDelay: 2, evalBatchSize: 2, predictWithGenerate: false, saveStrategy: 'epoch',
        loadBestModelAtEnd: true, earlyStoppingPatience: 2,
      },
    });
    expect((byEpoch as { result: TrainSummary }).result).toMatchObject({
      globalStep: epoch.global_step,
      stoppedEarly: true,
      bestGlobalStep: epoch.best_global_step,
      bestModelStep: epoch.best_model_step,
    });

    // Two evaluation sets by name (fixture case adamw_eval_sets): each evaluated in turn, the best by the second's loss.
    const sets = reference.cases.adamw_eval_sets;
    await w.send({ type: 'load', model: DIR, options: {} });
    const before = w.posted.length;
    const named = await w.send({
      type: 'train',
      examples,
      evalExamples: Object.fromEntries(Object.entries(sets.args.eval_sets as Record<string, number[]>).map(([name, ks]) => [name, ks.map((k) => examples[k]!)])),
      args: {
        learningRate: 0.03, weightDecay: 0, maxGradNorm: 1, lrSchedulerType: 'constant', batchSize: 2, maxSteps: 12, shuffle: false, dropout: false,
        evalSteps: 1, evalBatchSize: 2, predictWithGenerate: false, saveSteps: 2, loadBestModelAtEnd: true, metricForBestModel: 'eval_held_loss', earlyStoppingPatience: 3,
      },
    });
    const evaluated = w.posted.slice(before).filter((m) => m.type === 'evaluate') as Extract<FromTrainingWorker, { type: 'evaluate' }>[];
    expect(evaluated.map((m) => [m.metrics.step, m.metrics.dataset])).toEqual(sets.eval_log.map(([step, set]: [number, string]) => [step, set]));
    expect(Math.abs((named as { result: TrainSummary }).result.bestMetric! - sets.best_metric)).toBeLessThan(1e-4);

    // Length-grouped batches (fixture case sgd_group_by_length_sets): Python's order epoch after epoch, after the
    // evaluations' DataLoader seeds, and its length-grouped evaluation batches.
    const grouped = reference.cases.sgd_group_by_length_sets;
    await w.send({ type: 'load', model: DIR, options: {} });
    const start = w.posted.length;
    await w.send({
      type: 'train',
      examples,
      evalExamples: Object.fromEntries(Object.entries(grouped.args.eval_sets as Record<string, number[]>).map(([name, ks]) => [name, ks.map((k) => examples[k]!)])),
      args: {
        optim: 'sgd', optimArgs: { momentum: 0.9 }, learningRate: 0.3, weightDecay: 0, maxGradNorm: 1, lrSchedulerType: 'constant', batchSize: 1, gradientAccumulationSteps: 2,
        numTrainEpochs: 4, trainSamplingStrategy: 'group_by_length', seed: 12, dropout: false, evalStrategy: 'epoch', evalBatchSize: 2, predictWithGenerate: false, saveStrategy: 'no',
      },
    });
    const groupedSteps = w.posted.slice(start).filter((m) => m.type === 'step') as Extract<FromTrainingWorker, { type: 'step' }>[];
    expect(groupedSteps.map((m) => m.metrics.step)).toEqual(grouped.steps.map((s: { step: number }) => s.step));
    groupedSteps.forEach((m, i) => expect(Math.abs(m.metrics.loss - grouped.steps[i].loss), `update ${i + 1}`).toBeLessThan(1e-4));
    const groupedEvals = w.posted.slice(start).filter((m) => m.type === 'evaluate') as Extract<FromTrainingWorker, { type: 'evaluate' }>[];
    groupedEvals.forEach((m, i) => expect(Math.abs(m.metrics.evalLoss - grouped.eval_log[i][2]), `evaluation ${i + 1}`).toBeLessThan(1e-4));
    expect(groupedEvals.length).toBe(grouped.eval_log.length);
    expect((await w.send({ type: 'dispose' })).type).toBe('done');
  });

  it('abort stops after the current micro-batch and keeps the updates done; errors are posted, typed', async () => {
    const w = worker();
    expect((await w.send({ type: 'caption', images: [], options: {} }))).toMatchObject({ type: 'error', error: { code: 'INVALID_INPUT', message: expect.stringMatching(/send "load" first/) } });
    await w.send({ type: 'load', model: DIR, options: {} });
    const images = await Promise.all(manifest.map((e) => readImageFile(join(DIR, e.image))));
    const trainId = w.nextId();
    const training = w.send({ type: 'train', examples: images.map((image, i) => ({ image, text: manifest[i]!.text })), args: { ...ADAMW, maxSteps: 50 } });
    // Abort once the second update is posted.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (w.posted.filter((m) => m.type === 'step').length >= 2) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    await w.send({ type: 'abort', target: trainId });
    const result = ((await training) as { result: TrainSummary }).result;
    expect(result.aborted).toBe(true);
    expect(result.globalStep).toBeGreaterThanOrEqual(2);
    expect(result.globalStep).toBeLessThan(50);
    expect(await w.send({ type: 'train', examples: [{ image: images[0]!, labels: [5, 400] }], args: { maxSteps: 1 } })).toMatchObject({
      type: 'error',
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/example 0: label 1 is 400, outside the vocabulary/) },
    });
    await w.send({ type: 'dispose' });
  });
});
