/**
 * Fine-tuning against PyTorch: ved's Trainer on ved's gradient engine versus
 * HF Trainer (transformers 5.18, torch 2.13) on the same tiny composed model
 * and manifest (fixtures/optim/train, made by
 * tools/reference/make_optimizer_fixtures.py), 5 updates (up to 12 in the best-model cases) in manifest order,
 * dropout off on both sides:
 *
 * - SGD (momentum 0.9, weight decay 0.01, constant rate): every tensor's change
 *   within 1e-3 of PyTorch's change (relative to the largest change of that
 *   tensor), and the per-update losses;
 * - Adafactor as HF Trainer builds it (GPT-2's fused query/key/value biases
 *   frozen: Adafactor's update clipping would spread their key part's float
 *   noise over the tensor), and AdamW with label smoothing and a restarting
 *   cosine schedule;
 * - AdamW with clipping (0.5), accumulation 2 (the last update of each epoch
 *   takes the remaining batch) and a linear schedule with 2 warmup updates:
 *   per-update losses within 1e-4 of PyTorch's, the learning rates and
 *   gradient norms, and every tensor's change within 1e-3 as well, except the
 *   attention key biases: their true gradient is zero (softmax ignores a
 *   constant added to every score of a row), so both sides hold float noise
 *   there, which Adam divides by its own square root into updates of full size;
 * - AdamW with `load_best_model_at_end` and `EarlyStoppingCallback` (an
 *   evaluation every update, a checkpoint every second): the update training
 *   stops at, `best_metric`, `best_global_step`, the checkpoint loaded back and
 *   its weights; once where the best evaluation was never saved (nothing is
 *   loaded back), once with `save_strategy="best"` (it was saved, and is), and
 *   across an interruption (`best_model.safetensors`);
 * - `eval_strategy` / `save_strategy` "epoch" (evaluations from `eval_delay`
 *   epochs on, early stopping, the best epoch loaded back), the two mixed
 *   (an evaluation every epoch, a checkpoint every 3 updates, 4.5 epochs), and
 *   `eval_steps` / `save_steps` as ratios: which updates are evaluated and
 *   saved, as Python's `log_history` and checkpoint folders;
 * - `train_sampling_strategy` "random" (accelerate's seeded sampler) and "group_by_length" (the global generator's
 *   permutation after the evaluations' DataLoader seeds; the evaluation sets length-grouped too).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors, VisionEncoderDecoderModel } from '@ved/core';
import { Trainer, type ComputeMetrics, type EvalMetrics, type EvalPrediction, type ParallelUpdates, type StepMetrics, type TrainerCallbacks, type TrainingArguments, type TrainingExample, type TrainOutput } from '@ved/training';
import { DirectoryFiles } from './directory-files.js';
import { writeCheckpoint } from './save.js';
import { createParallelUpdates } from './parallel-updates.js';
import { ImageToText } from './pipeline.js';
import { nodeRuntime } from './runtime.js';
import { readTrainingManifest } from './training-data.js';
import { fixturePath } from './test-utils/fixtures.js';

const DIR = fixturePath('optim', 'train');
interface CaseRef {
  args: Record<string, string | number>;
  /** Every update (cases logging every update), or … */
  steps?: LoggedRef[];
  /** … the log_history's training entries, each the mean over its logging window (cases with logging arguments). */
  logged?: LoggedRef[];
  /** Manifest lines evaluated every `eval_steps` updates, and Python's eval_loss each time. */
  eval_examples?: number[];
  eval_losses?: number[];
  /** The updates evaluated after (HF's log_history). */
  eval_steps_at?: number[];
  /** With train_sampling_strategy "group_by_length": each epoch's order, the evaluation sets evaluated before it. */
  orders?: number[][];
  evaluations_before?: number[];
  /** Named evaluation sets (HF's eval_dataset dict): each evaluation in log order, as [update, set, eval loss]. */
  eval_log?: [number, string, number][];
  /** The updates Python saved a checkpoint of (output_dir/checkpoint-N). */
  saved_steps?: number[];
  /** With a best model tracked (metric_for_best_model): where training ended, and HF TrainerState's best_* fields. */
  global_step?: number;
  best_metric?: number;
  best_global_step?: number | null;
  best_model_step?: number | null;
}
interface LoggedRef {
  step: number;
  loss: number;
  grad_norm: number;
  learning_rate: number;
  epoch: number;
}
const reference = JSON.parse(readFileSync(join(DIR, 'reference.json'), 'utf8')) as { max_steps: number; cases: Record<string, CaseRef> };
const changes = parseSafetensors(new Uint8Array(readFileSync(join(DIR, 'changes.safetensors'))), 'changes.safetensors');

/** The elements of an attention key bias (exactly zero gradient in exact arithmetic), or undefined. */
function keyBias(name: string, length: number): [number, number] | undefined {
  if (/crossattention\.c_attn\.bias$/.test(name)) return [0, length / 2]; // [key | value]
  if (/\.attn\.c_attn\.bias$/.test(name)) return [length / 3, (2 * length) / 3]; // [query | key | value]
  if (/\.key\.bias$/.test(name)) return [0, length];
  return undefined;
}

/** HF TrainingArguments of a case → ved's. */
function argsOf(c: CaseRef): TrainingArguments {
  const a = c.args;
  // HF's optim_args string ("momentum=0.9,centered=True") as optimArgs.
  const optimArgs: Record<string, number | boolean> = {};
  for (const part of typeof a.optim_args === 'string' ? a.optim_args.split(',') : []) {
    const [key, value] = part.split('=') as [string, string];
    optimArgs[key === 'lr_decay' ? 'lrDecay' : key] = value === 'True' ? true : value === 'False' ? false : Number(value);
  }
  const optim = a.optim === 'sgd' || a.optim === 'adafactor' || a.optim === 'rmsprop' || a.optim === 'adagrad' ? a.optim : 'adamw';
  return {
    optim,
    ...(Object.keys(optimArgs).length > 0 ? { optimArgs } : {}),
    learningRate: a.learning_rate as number,
    weightDecay: a.weight_decay as number,
    maxGradNorm: a.max_grad_norm as number,
    lrSchedulerType: a.lr_scheduler_type as NonNullable<TrainingArguments['lrSchedulerType']>,
    ...(a.lr_scheduler_kwargs !== undefined ? { lrSchedulerKwargs: a.lr_scheduler_kwargs as unknown as Record<string, unknown> } : {}),
    ...(a.label_smoothing_factor !== undefined ? { labelSmoothingFactor: a.label_smoothing_factor as number } : {}),
    ...(a.freeze !== undefined ? { freeze: a.freeze as unknown as string[] } : {}),
    ...(a.eval_strategy !== undefined ? { evalBatchSize: a.per_device_eval_batch_size as number, predictWithGenerate: false } : {}),
    ...(a.eval_strategy === 'epoch' ? { evalStrategy: 'epoch' as const } : {}),
    ...(a.eval_steps !== undefined ? { evalSteps: a.eval_steps as number } : {}),
    ...(a.eval_delay !== undefined ? { evalDelay: a.eval_delay as number } : {}),
    ...(a.save_steps !== undefined ? { saveSteps: a.save_steps as number } : {}),
    ...(a.save_strategy === 'best' || a.save_strategy === 'epoch' ? { saveStrategy: a.save_strategy } : {}),
    ...(a.load_best_model_at_end !== undefined ? { loadBestModelAtEnd: a.load_best_model_at_end as unknown as boolean } : {}),
    ...(a.metric_for_best_model !== undefined ? { metricForBestModel: a.metric_for_best_model as string } : {}),
    ...(a.early_stopping_patience !== undefined
      ? { earlyStoppingPatience: a.early_stopping_patience as number, earlyStoppingThreshold: a.early_stopping_threshold as number }
      : {}),
    ...(a.logging_steps !== undefined ? { loggingSteps: a.logging_steps as number } : {}),
    ...(a.logging_first_step !== undefined ? { loggingFirstStep: a.logging_first_step as unknown as boolean } : {}),
    ...(a.logging_strategy !== undefined ? { loggingStrategy: a.logging_strategy as 'no' | 'steps' | 'epoch' } : {}),
    warmupSteps: a.warmup_steps as number,
    gradientAccumulationSteps: a.gradient_accumulation_steps as number,
    batchSize: a.per_device_train_batch_size as number,
    maxSteps: (a.max_steps as number | undefined) ?? reference.max_steps,
    ...(a.num_train_epochs !== undefined ? { numTrainEpochs: a.num_train_epochs as number } : {}),
    // HF Trainer's shuffled order (train_sampling_strategy "random") from seed / data_seed, its length-grouped one, or
    // the manifest's.
    trainSamplingStrategy: a.train_sampling_strategy === 'random' || a.train_sampling_strategy === 'group_by_length' ? a.train_sampling_strategy : 'sequential',
    ...(a.eval_on_start !== undefined ? { evalOnStart: a.eval_on_start as unknown as boolean } : {}),
    seed: (a.seed as number | undefined) ?? 0,
    ...(a.data_seed !== undefined ? { dataSeed: a.data_seed as number } : {}),
    dropout: false,
  };
}

let pipe: ImageToText;
beforeAll(async () => {
  pipe = await ImageToText.fromPretrained(DIR);
});
afterAll(() => pipe?.dispose());

async function run(
  name: string,
  parallelUpdates?: ParallelUpdates,
): Promise<{
  out: TrainOutput;
  steps: StepMetrics[];
  evalLosses: number[];
  savedSteps: number[];
  logHistory: Array<Record<string, number>>;
  initial: Map<string, Float32Array>;
  final: Map<string, Float32Array>;
}> {
  const model = pipe.model as VisionEncoderDecoderModel;
  const manifest = await readTrainingManifest(join(DIR, 'manifest.jsonl'));
  const evalExamples = reference.cases[name]!.eval_examples;
  const evalSets = reference.cases[name]!.args.eval_sets as unknown as Record<string, number[]> | undefined;
  const trainer = new Trainer<string>({
    ...(parallelUpdates ? { parallelUpdates } : {}),
    model,
    runtime: nodeRuntime,
    args: argsOf(reference.cases[name]!),
    trainDataset: manifest,
    ...(evalExamples !== undefined ? { evalDataset: evalExamples.map((k) => manifest[k]!) } : {}),
    ...(evalSets !== undefined ? { evalDataset: Object.fromEntries(Object.entries(evalSets).map(([n, ks]) => [n, ks.map((k) => manifest[k]!)])) } : {}),
    prepareImages: (images) => pipe.preprocess(images),
    tokenizer: pipe.tokenizer!,
    saveCheckpoint: async (_files, step) => void savedSteps.push(step),
  });
  const savedSteps: number[] = [];
  try {
    const initial = new Map(model.weights.names().map((n) => [n, Float32Array.from(model.weights.getFloat32(n))]));
    const out = await trainer.train();
    const files = await trainer.checkpointFiles();
    const saved = parseSafetensors(files.find((f) => f.name === 'model.safetensors')!.bytes, 'model.safetensors');
    const final = new Map(saved.names().map((n) => [n, saved.getFloat32(n)]));
    const state = JSON.parse(new TextDecoder().decode(files.find((f) => f.name === 'trainer_state.json')!.bytes)) as { log_history: Array<Record<string, number>> };
    return { out, steps: out.steps, evalLosses: out.evaluations.map((e) => e.evalLoss), savedSteps, logHistory: state.log_history, initial, final };
  } finally {
    await trainer.dispose();
  }
}

describe('training vs HF Trainer (fixtures/optim/train)', () => {
  for (const name of Object.keys(reference.cases)) {
    it(`${name}: per-update loss, learning rate and gradient norm`, async () => {
      const { out, steps, evalLosses, savedSteps, logHistory, initial, final } = await run(name);
      const ref = reference.cases[name]!;
      const expectedEval = ref.eval_losses;
      if (ref.global_step !== undefined) {
        // Early stopping and the best model: where training stopped, the best metric and which update's weights came back.
        expect(out.globalStep).toBe(ref.global_step);
        const maxSteps = (ref.args.max_steps as number | undefined) ?? reference.max_steps;
        expect(out.stoppedEarly).toBe(ref.global_step < (maxSteps > 0 ? maxSteps : out.steps[0]!.totalSteps));
        expect(Math.abs(out.bestMetric! - ref.best_metric!)).toBeLessThan(1e-4);
        expect(out.bestGlobalStep ?? null).toBe(ref.best_global_step);
        expect(out.bestModelStep ?? null).toBe(ref.best_model_step);
      }
      if (ref.eval_steps_at !== undefined) expect(out.evaluations.map((e) => e.step)).toEqual(ref.eval_steps_at);
      if (ref.eval_log !== undefined) {
        expect(out.evaluations.map((e) => [e.step, e.dataset])).toEqual(ref.eval_log.map(([step, set]) => [step, set]));
        out.evaluations.forEach((e, i) => expect(Math.abs(e.evalLoss - ref.eval_log![i]![2]), `evaluation ${i + 1}`).toBeLessThan(1e-4));
        // log_history as Python's: eval_<set>_loss entries.
        expect(logHistory.filter((e) => Object.keys(e).some((k) => /^eval_[a-z]+_loss$/.test(k))).length).toBe(ref.eval_log.length);
      }
      if (ref.saved_steps !== undefined) {
        // Python's checkpoints, and ved's save of the model training ends with (trainer.save_model()).
        expect(savedSteps).toEqual([...new Set([...ref.saved_steps, out.globalStep])].sort((a, b) => a - b));
      }
      if (expectedEval !== undefined) {
        expect(evalLosses.length).toBe(expectedEval.length);
        evalLosses.forEach((l, i) => expect(Math.abs(l - expectedEval[i]!), `eval loss ${i + 1}`).toBeLessThan(1e-4));
      }
      // Every update's numbers (onStep, TrainOutput.steps, and log_history when logging every update), or the
      // log_history's training entries, each averaging its logging window.
      const compared = ref.logged !== undefined
        ? logHistory.filter((e) => 'loss' in e).map((e) => ({ step: e.step!, loss: e.loss!, learningRate: e.learning_rate!, gradNorm: e.grad_norm!, epoch: e.epoch! }))
        : steps;
      const expected = (ref.logged ?? ref.steps)!;
      if (ref.steps !== undefined) expect(logHistory.filter((e) => 'loss' in e).map((e) => e.step)).toEqual(expected.map((e) => e.step));
      expect(compared.map((s) => s.step)).toEqual(expected.map((e) => e.step));
      const diffs = compared.map((s, i) => Math.abs(s.loss - expected[i]!.loss));
      console.log(`${name}: |loss − PyTorch's| per ${ref.logged ? 'logged window' : 'update'} ${diffs.map((d) => d.toExponential(1)).join(', ')}`);
      compared.forEach((s, i) => {
        const e = expected[i]!;
        expect(Math.abs(s.loss - e.loss), `loss of update ${s.step}`).toBeLessThan(1e-4);
        expect(s.learningRate, `lr of update ${s.step}`).toBeCloseTo(e.learning_rate, 12);
        expect(Math.abs(s.gradNorm - e.grad_norm) / e.grad_norm, `grad norm of update ${s.step}`).toBeLessThan(1e-4);
        expect(s.epoch, `epoch of update ${s.step}`).toBeCloseTo(e.epoch, 12);
      });

      // Each tensor's change over the run against PyTorch's.
      const rels: [string, number][] = [];
      for (const [tensor, after] of final) {
        const key = `${name}.${tensor}`;
        if (!changes.has(key)) continue;
        const pt = changes.getFloat32(key);
        const before = initial.get(tensor)!;
        let scale = 0;
        let diff = 0;
        // The key biases' exact gradient is zero: AdamW and Adafactor turn their float noise into whole steps, and
        // with SGD a key bias that starts at zero (ViT's) changes by noise alone. Not compared.
        const skip = reference.cases[name]!.args.optim !== 'sgd' || /\.key\.bias$/.test(tensor) ? keyBias(tensor, pt.length) : undefined;
        for (let i = 0; i < pt.length; i++) {
          if (skip !== undefined && i >= skip[0] && i < skip[1]) continue;
          scale = Math.max(scale, Math.abs(pt[i]!));
          diff = Math.max(diff, Math.abs(after[i]! - before[i]! - pt[i]!));
        }
        const rel = scale === 0 ? diff : diff / scale;
        rels.push([tensor, rel]);
        expect(rel, `${tensor}: change vs PyTorch's`).toBeLessThan(1e-3);
      }
      // Every saved tensor is compared (the fixture names them as the checkpoint does; before, transformers 5's
      // in-memory names left ViT's encoder layers out).
      expect(rels.length).toBe(final.size);
      rels.sort((a, b) => b[1] - a[1]);
      console.log(`${name}: largest relative differences of a tensor's change: ${rels.slice(0, 3).map(([t, r]) => `${t} ${r.toExponential(2)}`).join(', ')}`);
    });
  }
});

/** A Trainer for a fixture case with an evaluation set (its eval_examples of the manifest). */
function caseTrainer(name: string, manifest: TrainingExample<string>[], callbacks?: TrainerCallbacks): Trainer<string> {
  const ref = reference.cases[name]!;
  return new Trainer<string>({
    model: pipe.model as VisionEncoderDecoderModel,
    runtime: nodeRuntime,
    args: argsOf(ref),
    trainDataset: manifest,
    evalDataset: ref.eval_examples!.map((k) => manifest[k]!),
    prepareImages: (images) => pipe.preprocess(images),
    tokenizer: pipe.tokenizer!,
    ...(callbacks ? { callbacks } : {}),
  });
}

const weightsOf = async (t: Trainer<string>) => Buffer.from((await t.checkpointFiles()).find((f) => f.name === 'model.safetensors')!.bytes);

describe('the best model and early stopping across an interruption (adamw_best)', () => {
  it('resumes exactly from a checkpoint whose best weights are not its own (best_model.safetensors)', async () => {
    const model = pipe.model as VisionEncoderDecoderModel;
    const manifest = await readTrainingManifest(join(DIR, 'manifest.jsonl'));
    const ref = reference.cases.adamw_best!;
    const make = (onEvaluate?: (m: EvalMetrics) => void) => caseTrainer('adamw_best', manifest, onEvaluate ? { onEvaluate } : undefined);
    const full = make();
    const fullOut = await full.train();
    const dir = mkdtempSync(join(tmpdir(), 'ved-best-'));
    try {
      // Stopped after update 9: the best so far is update 8 (saved), two evaluations without improvement counted.
      const controller = new AbortController();
      const first = make((m) => m.step === 9 && controller.abort(new Error('stop')));
      await expect(first.train({ signal: controller.signal })).rejects.toThrow('stop');
      const files = await first.checkpointFiles();
      expect(files.map((f) => f.name)).toContain('best_model.safetensors');
      await writeCheckpoint(dir, files);
      await first.dispose();
      const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'));
      expect(state).toMatchObject({ global_step: 9, best_global_step: 8, best_model_checkpoint: null });
      expect(Math.abs(state.best_metric - ref.best_metric!)).toBeLessThan(1e-4);
      expect(state.stateful_callbacks.EarlyStoppingCallback).toEqual({
        args: { early_stopping_patience: 3, early_stopping_threshold: 0.2 },
        attributes: { early_stopping_patience_counter: 2 },
      });
      expect(state.ved).toMatchObject({ metric_for_best_model: 'eval_loss', greater_is_better: false, best_model_step: 8 });

      const resumed = make();
      const out = await resumed.train({ resumeFromCheckpoint: new DirectoryFiles(dir) });
      expect(out).toMatchObject({ globalStep: 10, stoppedEarly: true, bestGlobalStep: 8, bestModelStep: 8, bestMetric: fullOut.bestMetric });
      expect((await weightsOf(resumed)).equals(await weightsOf(full))).toBe(true);
      // The final checkpoint holds the best weights themselves: no second copy.
      expect((await resumed.checkpointFiles()).map((f) => f.name)).not.toContain('best_model.safetensors');
      await resumed.dispose();

      // Another direction of the metric cannot resume the run.
      const flipped = new Trainer<string>({
        model,
        runtime: nodeRuntime,
        args: { ...argsOf(ref), greaterIsBetter: true },
        trainDataset: manifest,
        evalDataset: ref.eval_examples!.map((k) => manifest[k]!),
        prepareImages: (images) => pipe.preprocess(images),
        tokenizer: pipe.tokenizer!,
      });
      await expect(flipped.train({ resumeFromCheckpoint: new DirectoryFiles(dir) })).rejects.toThrow(/its best eval_loss was the lowest, this run's greaterIsBetter is true/);
      await flipped.dispose();

      // Without the best weights, a run that loads them back cannot resume.
      const { unlinkSync } = await import('node:fs');
      unlinkSync(join(dir, 'best_model.safetensors'));
      const missing = make();
      await expect(missing.train({ resumeFromCheckpoint: new DirectoryFiles(dir) })).rejects.toThrow(/has no best_model\.safetensors, the weights of update 8/);
      await missing.dispose();
    } finally {
      await full.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the evaluation and save strategies across interruptions', () => {
  // Stopped at every update, before what follows it (its evaluations then pending) or after an evaluation, and
  // resumed from the checkpoint: the same evaluations, best model and weights as the uninterrupted run — also
  // where an "epoch" evaluation names a best whose "steps" checkpoint came first (adamw_epoch_mixed, update 6).
  for (const name of ['adamw_epoch', 'adamw_epoch_mixed', 'adamw_ratio']) {
    it(`${name}: resumes exactly wherever it was stopped`, async () => {
      const manifest = await readTrainingManifest(join(DIR, 'manifest.jsonl'));
      const ref = reference.cases[name]!;
      const make = (callbacks?: TrainerCallbacks) => caseTrainer(name, manifest, callbacks);
      const full = make();
      const fullOut = await full.train();
      const fullWeights = await weightsOf(full);
      const historyOf = async (t: Trainer<string>) => JSON.parse(new TextDecoder().decode((await t.checkpointFiles()).find((f) => f.name === 'trainer_state.json')!.bytes)).log_history;
      const fullHistory = await historyOf(full);
      await full.dispose();
      expect(fullOut.evaluations.map((e) => e.step)).toEqual(ref.eval_steps_at);
      const summary = (o: TrainOutput) => ({ globalStep: o.globalStep, stoppedEarly: o.stoppedEarly, bestGlobalStep: o.bestGlobalStep, bestModelStep: o.bestModelStep, bestMetric: o.bestMetric });
      const dir = mkdtempSync(join(tmpdir(), 'ved-strategy-'));
      try {
        for (let k = 1; k < fullOut.globalStep; k++) {
          for (const where of ['step', 'evaluation'] as const) {
            if (where === 'evaluation' && !fullOut.evaluations.some((e) => e.step === k)) continue;
            const controller = new AbortController();
            const stop = () => controller.abort(new Error('stop'));
            const first = make(where === 'step' ? { onStep: (m) => m.step === k && stop() } : { onEvaluate: (m) => m.step === k && stop() });
            await expect(first.train({ signal: controller.signal })).rejects.toThrow('stop');
            const files = await first.checkpointFiles();
            // The best weights are kept (and saved beside a checkpoint) only where they will be loaded back.
            if (ref.args.load_best_model_at_end === undefined) expect(files.map((f) => f.name)).not.toContain('best_model.safetensors');
            await writeCheckpoint(dir, files);
            const before = first.step;
            await first.dispose();
            const resumed = make();
            const out = await resumed.train({ resumeFromCheckpoint: new DirectoryFiles(dir) });
            expect(summary(out), `stopped at update ${k} (${where}; saved at ${before})`).toEqual(summary(fullOut));
            expect(out.evaluations.map((e) => e.step)).toEqual(fullOut.evaluations.filter((e) => e.step > before || (where === 'step' && e.step === before)).map((e) => e.step));
            expect((await weightsOf(resumed)).equals(fullWeights), `weights after stopping at update ${k} (${where})`).toBe(true);
            // Every update's log entry and every evaluation's, once (an update stopped during its evaluation was
            // logged before it).
            expect(await historyOf(resumed), `log_history after stopping at update ${k} (${where})`).toEqual(fullHistory);
            await resumed.dispose();
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('the length-grouped order across interruptions', () => {
  // Stopped after every update and resumed: the same order, so the same losses and weights as the uninterrupted run —
  // with eval_on_start run again on resume without moving the generator (Python reloads the checkpoint's RNG state
  // after it), and with named sets evaluated every epoch. (Python's own resume inside epoch 1 or later restarts the
  // sampler from the seed's first state, not the epoch's: ved continues the uninterrupted run's order.)
  for (const name of ['adamw_group_by_length', 'sgd_group_by_length_sets']) {
    it(`${name}: resumes exactly wherever it was stopped`, async () => {
      const manifest = await readTrainingManifest(join(DIR, 'manifest.jsonl'));
      const ref = reference.cases[name]!;
      const sets = ref.args.eval_sets as unknown as Record<string, number[]> | undefined;
      const make = (callbacks?: TrainerCallbacks) =>
        new Trainer<string>({
          model: pipe.model as VisionEncoderDecoderModel,
          runtime: nodeRuntime,
          args: argsOf(ref),
          trainDataset: manifest,
          evalDataset: sets !== undefined ? Object.fromEntries(Object.entries(sets).map(([n, ks]) => [n, ks.map((k) => manifest[k]!)])) : ref.eval_examples!.map((k) => manifest[k]!),
          prepareImages: (images) => pipe.preprocess(images),
          tokenizer: pipe.tokenizer!,
          ...(callbacks ? { callbacks } : {}),
        });
      const full = make();
      const fullOut = await full.train();
      const fullWeights = await weightsOf(full);
      const stateOf = async (t: Trainer<string>) => JSON.parse(new TextDecoder().decode((await t.checkpointFiles()).find((f) => f.name === 'trainer_state.json')!.bytes));
      const fullState = await stateOf(full);
      await full.dispose();
      expect(fullState.ved).toMatchObject({ shuffle: true, data_order: 'length_grouped', loader_draws: { epoch_starts: ref.evaluations_before } });
      const dir = mkdtempSync(join(tmpdir(), 'ved-grouped-'));
      try {
        for (let k = 1; k < fullOut.globalStep; k++) {
          const controller = new AbortController();
          const first = make({ onStep: (m) => m.step === k && controller.abort(new Error('stop')) });
          await expect(first.train({ signal: controller.signal })).rejects.toThrow('stop');
          await writeCheckpoint(dir, await first.checkpointFiles());
          await first.dispose();
          const resumed = make();
          const out = await resumed.train({ resumeFromCheckpoint: new DirectoryFiles(dir) });
          expect(out.steps.map((m) => m.loss), `losses after stopping at update ${k}`).toEqual(fullOut.steps.slice(k).map((m) => m.loss));
          expect((await weightsOf(resumed)).equals(fullWeights), `weights after stopping at update ${k}`).toBe(true);
          expect((await stateOf(resumed)).ved.loader_draws.epoch_starts).toEqual(ref.evaluations_before);
          await resumed.dispose();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('computeMetrics (HF compute_metrics) and a metric of its own as metricForBestModel', () => {
  it('receives each evaluation\'s generated and reference ids and texts; its numbers are logged and choose the best model', async () => {
    const model = pipe.model as VisionEncoderDecoderModel;
    const manifest = await readTrainingManifest(join(DIR, 'manifest.jsonl'));
    const calls: EvalPrediction[] = [];
    const make = (args: TrainingArguments, computeMetrics?: ComputeMetrics) =>
      new Trainer<string>({
        model,
        runtime: nodeRuntime,
        args: { optim: 'adamw', learningRate: 0.06, lrSchedulerType: 'constant', batchSize: 2, maxSteps: 4, shuffle: false, dropout: false, evalSteps: 1, generationMaxLength: 6, ...args },
        trainDataset: manifest,
        evalDataset: manifest.slice(0, 4),
        prepareImages: (images) => pipe.preprocess(images),
        tokenizer: pipe.tokenizer!,
        ...(computeMetrics ? { computeMetrics } : {}),
      });
    // The mean length of the generated texts: larger is better (greater_is_better's default for a name not ending in "loss").
    const meanLength: ComputeMetrics = (p) => {
      calls.push(p);
      return { mean_length: p.predictions.reduce((n, t) => n + t.length, 0) / p.predictions.length };
    };
    const trainer = make({ saveSteps: 1, loadBestModelAtEnd: true, metricForBestModel: 'mean_length' }, meanLength);
    try {
      const out = await trainer.train();
      expect(calls).toHaveLength(4);
      for (const [i, call] of calls.entries()) {
        const evaluation = out.evaluations[i]!;
        expect(call.predictions).toEqual(pipe.tokenizer!.batchDecode(call.predictionIds, { skipSpecialTokens: true }));
        expect(call.references).toEqual(manifest.slice(0, 4).map((e) => (e as { text: string }).text));
        expect(call.labelIds.map((l) => pipe.tokenizer!.decode(l, { skipSpecialTokens: true }))).toEqual(call.references);
        expect(call.predictions.filter((t, k) => t === call.references[k]).length / 4).toBe(evaluation.exactMatch);
        expect(evaluation.metrics).toEqual({ mean_length: call.predictions.reduce((n, t) => n + t.length, 0) / 4 });
      }
      const lengths = out.evaluations.map((e) => e.metrics!.mean_length!);
      const best = lengths.indexOf(Math.max(...lengths));
      expect(out).toMatchObject({ bestMetric: lengths[best], bestGlobalStep: best + 1, bestModelStep: best + 1 });
      const state = JSON.parse(new TextDecoder().decode((await trainer.checkpointFiles()).find((f) => f.name === 'trainer_state.json')!.bytes));
      expect(state.log_history.filter((e: Record<string, number>) => 'eval_mean_length' in e).map((e: Record<string, number>) => e.eval_mean_length)).toEqual(lengths);
      expect(state.ved.metric_for_best_model).toBe('eval_mean_length');

      // predict() (Seq2SeqTrainer.predict): the same numbers as evaluate() on the same examples, under test_, logging nothing.
      const logged = state.log_history.length;
      const evaluation = await trainer.evaluate();
      const predicted = await trainer.predict(manifest.slice(0, 4));
      expect(predicted.metrics).toEqual({
        test_loss: evaluation.evalLoss,
        test_exact_match: evaluation.exactMatch,
        test_cer: evaluation.cer,
        test_wer: evaluation.wer,
        test_mean_length: evaluation.metrics!.mean_length,
      });
      expect(predicted.predictions).toEqual(calls.at(-1)!.predictions);
      expect(predicted.predictionIds).toEqual(calls.at(-1)!.predictionIds);
      expect(predicted.references).toEqual(calls.at(-1)!.references);
      const after = JSON.parse(new TextDecoder().decode((await trainer.checkpointFiles()).find((f) => f.name === 'trainer_state.json')!.bytes));
      expect(after.log_history).toHaveLength(logged + 1); // evaluate()'s entry only
      await expect(trainer.predict([])).rejects.toThrow(/The test dataset holds no examples/);
    } finally {
      await trainer.dispose();
    }

    const refused = async (args: TrainingArguments, computeMetrics?: ComputeMetrics) => {
      const t = make(args, computeMetrics);
      try {
        return await t.train().then(() => undefined, (e: unknown) => e);
      } finally {
        await t.dispose();
      }
    };
    expect(await refused({ metricForBestModel: 'bleu' })).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/"eval_bleu" is none of the evaluation's metrics .*give a computeMetrics that returns it/) });
    expect(await refused({ metricForBestModel: 'bleu' }, () => ({ rouge: 1 }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/metricForBestModel is "eval_bleu", which the evaluation at update 1 did not return; it returned eval_loss, eval_exact_match, eval_cer, eval_wer, eval_rouge/),
    });
    expect(await refused({}, () => ({ loss: 1 }))).toMatchObject({ message: expect.stringMatching(/computeMetrics returned a metric named "loss"/) });
    expect(await refused({}, () => ({ bleu: '0.3' }) as never)).toMatchObject({ message: expect.stringMatching(/computeMetrics returned "0.3" for "bleu"; expected a number/) });
    expect(await refused({ predictWithGenerate: false }, () => ({}))).toMatchObject({ message: expect.stringMatching(/computeMetrics scores generated texts: turn predictWithGenerate on/) });
  });
});

describe('AdamW with half of its update on a worker thread (createParallelUpdates)', () => {
  it('gives the same losses, gradient norms and weights, bit for bit', async () => {
    const parallel = await createParallelUpdates();
    try {
      const [alone, shared] = [await run('adamw'), await run('adamw', parallel)];
      expect(shared.steps.map((s) => [s.loss, s.gradNorm, s.learningRate])).toEqual(alone.steps.map((s) => [s.loss, s.gradNorm, s.learningRate]));
      for (const [tensor, after] of alone.final) expect(Buffer.compare(Buffer.from(after.buffer, after.byteOffset, after.byteLength), Buffer.from(shared.final.get(tensor)!.buffer, shared.final.get(tensor)!.byteOffset, after.byteLength)), tensor).toBe(0);
    } finally {
      await parallel.close();
    }
  });
});
