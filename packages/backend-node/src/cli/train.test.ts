/**
 * `ved train` in-process (runTrain) on the tiny checkpoint of
 * fixtures/optim/train with ved's gradient engine: the --json lines against
 * HF Trainer's log (tools/reference/make_optimizer_fixtures.py), what --out
 * receives, Ctrl-C and an exact --resume, and the typed errors.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { VedError, parseSafetensors } from '@ved/core';
import { defaultModelDir } from '@ved/default-model';
import { LearningRateSchedule, SCHEDULER_TYPES, TrainingDivergedError } from '@ved/training';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';
import { UsageError } from './args.js';
import { lowMemoryHint, runTrain, trainCommand } from './train.js';

const MODEL = fixturePath('optim', 'train');
const MANIFEST = join(MODEL, 'manifest.jsonl');
const reference = JSON.parse(readFileSync(join(MODEL, 'reference.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'ved-train-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** The AdamW case of the fixture as flags. */
const ADAMW = ['--lr', '5e-3', '--weight-decay', '0.01', '--max-grad-norm', '0.5', '--schedule', 'linear', '--warmup-steps', '2', '--grad-accum', '2', '--batch-size', '2', '--steps', '5', '--no-dropout', '--no-shuffle'];

/** Runs `ved train` capturing stdout lines; `onLine` sees each line as it is written. */
async function train(args: string[], onLine?: (line: string) => void): Promise<{ lines: string[]; error?: unknown }> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      lines.push(line);
      onLine?.(line);
    }
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await runTrain(args);
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('ved train', () => {
  it('--json: one line per update with HF Trainer\'s loss, lr and grad_norm; --out gets a checkpoint and nothing else changes there', async () => {
    const out = join(tmp, 'adamw');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'notes.txt'), '');
    const { lines, error } = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', out, '--json', ...ADAMW]);
    expect(error).toBeUndefined();
    const got = lines.map((l) => JSON.parse(l));
    const expected = reference.cases.adamw.steps as { step: number; loss: number; grad_norm: number; learning_rate: number }[];
    expect(got.map((l) => Object.keys(l))).toEqual(expected.map(() => ['step', 'loss', 'lr', 'grad_norm']));
    got.forEach((l, i) => {
      expect(l.step).toBe(expected[i]!.step);
      expect(Math.abs(l.loss - expected[i]!.loss)).toBeLessThan(1e-4);
      expect(l.lr).toBeCloseTo(expected[i]!.learning_rate, 12);
      expect(Math.abs(l.grad_norm - expected[i]!.grad_norm) / expected[i]!.grad_norm).toBeLessThan(1e-4);
    });
    for (const name of ['config.json', 'generation_config.json', 'model.safetensors', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'optimizer.safetensors', 'trainer_state.json']) {
      expect(existsSync(join(out, name)), name).toBe(true);
    }
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('');
    const state = JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8'));
    expect(state.global_step).toBe(5);
    expect(state.log_history.map((e: { step: number }) => e.step)).toEqual([1, 2, 3, 4, 5]);
  });

  it('Ctrl-C saves the last complete update; --resume continues with exactly the losses of an uninterrupted run', async () => {
    const full = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'full'), '--json', ...ADAMW]);
    expect(full.error).toBeUndefined();
    const out = join(tmp, 'interrupted');
    const first = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', out, '--json', ...ADAMW], (line) => {
      if (JSON.parse(line).step === 2) process.emit('SIGINT');
    });
    expect(first.error).toBeInstanceOf(VedError);
    expect((first.error as Error).message).toMatch(/interrupted during step 3; step 2 is saved/);
    expect(JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8')).global_step).toBe(2);
    const resumed = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', out, '--json', '--resume', out, ...ADAMW]);
    expect(resumed.error).toBeUndefined();
    expect(resumed.lines).toEqual(full.lines.slice(2));
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(readFileSync(join(tmp, 'full', 'model.safetensors')));
  });

  it('--optimizer adafactor: --resume from a saved update continues with exactly the losses and weights of an uninterrupted run', async () => {
    const flags = ['--optimizer', 'adafactor', '--lr', '1e-2', '--weight-decay', '0.01', '--batch-size', '2', '--no-dropout', '--no-shuffle', '--json'];
    const full = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'af-full'), '--steps', '4', ...flags]);
    expect(full.error).toBeUndefined();
    const out = join(tmp, 'af-part');
    expect((await train(['--model', MODEL, '--manifest', MANIFEST, '--out', out, '--steps', '4', '--save-every', '2', ...flags], (line) => {
      if (JSON.parse(line).step === 2) process.emit('SIGINT');
    })).error).toBeInstanceOf(VedError);
    const saved = parseSafetensors(new Uint8Array(readFileSync(join(out, 'optimizer.safetensors'))), 'optimizer.safetensors');
    expect(saved.metadata.optimizer).toBe('adafactor');
    expect(saved.info('decoder.transformer.wte.weight.exp_avg_sq_row').shape).toEqual([300]);
    expect(saved.info('decoder.transformer.wte.weight.exp_avg_sq_col').shape).toEqual([16]);
    const resumed = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', out, '--steps', '4', '--resume', out, ...flags]);
    expect(resumed.error).toBeUndefined();
    expect(resumed.lines).toEqual(full.lines.slice(2));
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(readFileSync(join(tmp, 'af-full', 'model.safetensors')));
  });

  it('with dropout on (and shuffling), --resume continues exactly: the same losses and weights as an uninterrupted run', async () => {
    const args = (out: string) => ['--model', MODEL, '--manifest', MANIFEST, '--out', out, '--json', ...ADAMW.filter((a) => a !== '--no-dropout' && a !== '--no-shuffle'), '--steps', '6', '--seed', '3'];
    const full = await train(args(join(tmp, 'dropout-full')));
    expect(full.error).toBeUndefined();
    // Dropout is on: the losses are not the eval-mode ones of the same run without dropout.
    const noDropout = await train([...args(join(tmp, 'dropout-off')), '--no-dropout']);
    expect(full.lines.map((l) => JSON.parse(l).loss)).not.toEqual(noDropout.lines.map((l) => JSON.parse(l).loss));
    const out = join(tmp, 'dropout-interrupted');
    const first = await train(args(out), (line) => {
      if (JSON.parse(line).step === 3) process.emit('SIGINT');
    });
    expect((first.error as Error).message).toMatch(/step 3 is saved/);
    const resumed = await train([...args(out), '--resume', out]);
    expect(resumed.error).toBeUndefined();
    expect(resumed.lines).toEqual(full.lines.slice(3));
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(readFileSync(join(tmp, 'dropout-full', 'model.safetensors')));
    expect(readFileSync(join(out, 'optimizer.safetensors'))).toEqual(readFileSync(join(tmp, 'dropout-full', 'optimizer.safetensors')));
  });

  it('--no-memory-arena trains the same (onnxruntime\'s arena only changes where intermediates live)', async () => {
    const run = async (dir: string, extra: string[]) => {
      const { lines, error } = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, dir), '--json', ...ADAMW, ...extra]);
      expect(error).toBeUndefined();
      return lines.map((l) => JSON.parse(l).loss as number);
    };
    expect(await run('arena-off', ['--no-memory-arena'])).toEqual(await run('arena-on', []));
  });

  it('--no-memory-arena without glibc\'s mmap threshold in the environment says how to set it', async () => {
    const saved = process.env.MALLOC_MMAP_THRESHOLD_;
    delete process.env.MALLOC_MMAP_THRESHOLD_;
    const errors: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (errors.push(String(chunk)), true));
    try {
      await runTrain(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'hint'), '--json', '--steps', '1', '--batch-size', '2', '--no-dropout', '--no-memory-arena']);
    } finally {
      vi.restoreAllMocks();
      if (saved !== undefined) process.env.MALLOC_MMAP_THRESHOLD_ = saved;
    }
    expect(errors.filter((e) => e === lowMemoryHint())).toHaveLength(process.platform === 'linux' ? 1 : 0);
  });

  it('--save-only-model: the model and trainer_state.json without the optimizer\'s state, which resuming then asks for', async () => {
    const flags = ['--model', MODEL, '--manifest', MANIFEST, '--steps', '2', '--batch-size', '3', '--no-dropout', '--no-shuffle', '--json'];
    const full = join(tmp, 'full-save');
    expect((await train([...flags, '--out', full])).error).toBeUndefined();
    const only = join(tmp, 'only-model');
    // An earlier full save in --out: its optimizer state would no longer match the weights, so it goes.
    expect((await train([...flags, '--out', only])).error).toBeUndefined();
    expect(existsSync(join(only, 'optimizer.safetensors'))).toBe(true);
    expect((await train([...flags, '--out', only, '--save-only-model'])).error).toBeUndefined();
    expect(existsSync(join(only, 'optimizer.safetensors'))).toBe(false);
    expect(readFileSync(join(only, 'model.safetensors'))).toEqual(readFileSync(join(full, 'model.safetensors')));
    expect(JSON.parse(readFileSync(join(only, 'trainer_state.json'), 'utf8')).global_step).toBe(2);
    const resumed = await train([...flags, '--steps', '3', '--out', join(tmp, 'only-resumed'), '--resume', only]);
    expect(resumed.error).toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringMatching(/has no optimizer\.safetensors: .*saved with saveOnlyModel/) });
  });

  it('without --json: a summary line on stdout (the progress bar goes to stderr)', async () => {
    const { lines, error } = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'plain'), '--steps', '2', '--batch-size', '3', '--eval-manifest', MANIFEST]);
    expect(error).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^trained 2 step\(s\) to step 2; mean loss \d+\.\d{4}; saved to /);
  });

  it('evaluates with --eval-manifest / --eval-every: eval_loss, exact_match, cer, wer', async () => {
    const { lines, error } = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'eval'), '--json', '--steps', '2', '--batch-size', '3', '--eval-manifest', MANIFEST, '--eval-every', '1']);
    expect(error).toBeUndefined();
    const evals = lines.map((l) => JSON.parse(l)).filter((l) => 'eval_loss' in l);
    expect(evals.map((e) => Object.keys(e))).toEqual([['step', 'eval_loss', 'exact_match', 'cer', 'wer'], ['step', 'eval_loss', 'exact_match', 'cer', 'wer']]);
    expect(evals.map((e) => e.step)).toEqual([1, 2]);
    // The word error rate as --best-metric: lower is better, as for CER.
    const best = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'eval-wer'), '--json', '--steps', '2', '--batch-size', '3', '--eval-manifest', MANIFEST, '--eval-every', '1', '--best-metric', 'wer']);
    expect(best.error).toBeUndefined();
    const bestEvals = best.lines.map((l) => JSON.parse(l)).filter((l) => 'eval_loss' in l);
    expect(JSON.parse(best.lines.at(-1)!)).toMatchObject({ metric_for_best_model: 'eval_wer', best_metric: Math.min(...bestEvals.map((e) => e.wer)) });
  });

  it('--optimizer rmsprop / adagrad with --optim-args: HF Trainer\'s losses, rates and norms (fixture cases rmsprop, adagrad)', async () => {
    const runs = {
      rmsprop: ['--optimizer', 'rmsprop', '--optim-args', 'momentum=0.5,centered=True,alpha=0.9', '--lr', '2e-3', '--weight-decay', '0.01', '--warmup-steps', '1'],
      adagrad: ['--optimizer', 'adagrad', '--optim-args', 'lr_decay=0.05, eps=1e-8', '--lr', '2e-2', '--weight-decay', '0.01', '--schedule', 'constant', '--grad-accum', '2'],
    };
    for (const [name, flags] of Object.entries(runs)) {
      const { lines, error } = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, name), '--json', '--batch-size', '2', '--steps', '5', '--no-dropout', '--no-shuffle', ...flags]);
      expect(error).toBeUndefined();
      const expected = reference.cases[name].steps as { step: number; loss: number; grad_norm: number; learning_rate: number }[];
      lines.map((l) => JSON.parse(l)).forEach((l, i) => {
        expect(Math.abs(l.loss - expected[i]!.loss), `${name} loss ${i + 1}`).toBeLessThan(1e-4);
        expect(l.lr).toBeCloseTo(expected[i]!.learning_rate, 12);
        expect(Math.abs(l.grad_norm - expected[i]!.grad_norm) / expected[i]!.grad_norm).toBeLessThan(1e-4);
      });
    }
    const usage = async (extra: string[]) => (await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'x'), ...extra])).error;
    expect(await usage(['--optimizer', 'adagrad', '--momentum', '0.9'])).toBeInstanceOf(UsageError);
    expect(await usage(['--optimizer', 'rmsprop', '--optim-args', 'momentum'])).toBeInstanceOf(UsageError);
    expect(await usage(['--optimizer', 'rmsprop', '--optim-args', 'alpha=high'])).toBeInstanceOf(UsageError);
    expect(await usage(['--optimizer', 'rmsprop', '--momentum', '0.5', '--optim-args', 'momentum=0.9'])).toBeInstanceOf(UsageError);
    expect(await usage(['--optimizer', 'adagrad', '--optim-args', 'centered=True'])).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/expected only lrDecay, eps for adagrad/) });
  });

  it('--load-best --early-stopping: stops where HF Trainer stops and saves the best saved update\'s weights (fixture case adamw_best)', async () => {
    const ref = reference.cases.adamw_best;
    const evalManifest = join(tmp, 'best-eval.jsonl');
    const lines = readFileSync(MANIFEST, 'utf8').split('\n').filter(Boolean);
    writeFileSync(evalManifest, `${(ref.eval_examples as number[]).map((k) => JSON.stringify({ ...JSON.parse(lines[k]!), image: resolvePath(MODEL, JSON.parse(lines[k]!).image) })).join('\n')}\n`);
    const out = join(tmp, 'best');
    const flags = ['--model', MODEL, '--manifest', MANIFEST, '--lr', '0.06', '--schedule', 'constant', '--batch-size', '2', '--steps', '12', '--no-dropout', '--no-shuffle'];
    const best = ['--eval-manifest', evalManifest, '--eval-every', '1', '--save-every', '2', '--load-best', '--early-stopping', '3', '--early-stopping-threshold', '0.2'];
    const run = await train([...flags, '--out', out, ...best, '--json']);
    expect(run.error).toBeUndefined();
    const last = JSON.parse(run.lines.at(-1)!);
    expect(last).toMatchObject({ global_step: 10, stopped_early: true, metric_for_best_model: 'eval_loss', best_global_step: 8, best_model_step: 8 });
    expect(Math.abs(last.best_metric - ref.best_metric)).toBeLessThan(1e-4);
    const evals = run.lines.map((l) => JSON.parse(l)).filter((l) => 'eval_loss' in l);
    evals.forEach((e, i) => expect(Math.abs(e.eval_loss - ref.eval_losses[i]), `eval ${i + 1}`).toBeLessThan(1e-4));
    const state = JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8'));
    expect(state).toMatchObject({ global_step: 10, best_global_step: 8 });
    // The weights saved are update 8's: evaluated again, they give its evaluation loss.
    const again = await train(['--model', out, '--manifest', MANIFEST, '--out', join(tmp, 'best-eval'), '--steps', '1', '--lr', '0', '--batch-size', '2', '--eval-manifest', evalManifest, '--json']);
    expect(Math.abs(JSON.parse(again.lines.find((l) => l.includes('eval_loss'))!).eval_loss - ref.eval_losses[7])).toBeLessThan(1e-4);

    // Ctrl-C after update 9 saves its state with the best weights (update 8's) beside it; --resume ends as the
    // uninterrupted run, and the final save, which holds the best weights themselves, removes best_model.safetensors.
    const cut = join(tmp, 'best-cut');
    const first = await train([...flags, '--out', cut, ...best, '--json'], (line) => {
      const l = JSON.parse(line);
      if (l.step === 9 && 'loss' in l) process.emit('SIGINT');
    });
    expect((first.error as Error).message).toMatch(/interrupted during step 10; step 9 is saved/);
    expect(existsSync(join(cut, 'best_model.safetensors'))).toBe(true);
    // Stopped during update 9's evaluation: the resumed run evaluates update 9 first.
    expect(JSON.parse(readFileSync(join(cut, 'trainer_state.json'), 'utf8')).ved.evaluation_pending).toBe(true);
    const resumed = await train([...flags, '--out', cut, ...best, '--json', '--resume', cut]);
    expect(resumed.error).toBeUndefined();
    expect(JSON.parse(resumed.lines.at(-1)!)).toEqual(last);
    expect(existsSync(join(cut, 'best_model.safetensors'))).toBe(false);
    expect(readFileSync(join(cut, 'model.safetensors'))).toEqual(readFileSync(join(out, 'model.safetensors')));

    const plain = await train([...flags, ...best, '--out', join(tmp, 'best-plain')]);
    expect(plain.lines.slice(1)).toEqual([
      'stopped early: 3 evaluation(s) in a row without improvement of eval_loss',
      `best eval_loss ${ref.best_metric.toFixed(4)} at step 8; the weights of step 8 were loaded back and saved`,
    ]);
    // --save-best: update 1 (the best before early stopping at update 3) is saved when evaluated, and loaded back (fixture case adamw_save_best).
    const saveBest = await train([...flags, '--out', join(tmp, 'save-best'), '--eval-manifest', evalManifest, '--eval-every', '1', '--save-best', '--load-best', '--early-stopping', '2', '--json']);
    expect(JSON.parse(saveBest.lines.at(-1)!)).toMatchObject({ global_step: 3, stopped_early: true, best_global_step: 1, best_model_step: 1 });
    const usage = async (extra: string[]) => (await train([...flags, '--out', join(tmp, 'x'), ...extra])).error;
    expect(await usage(['--save-best', '--save-every', '2', '--eval-manifest', evalManifest, '--eval-every', '1'])).toBeInstanceOf(UsageError);
    expect(await usage(['--save-best'])).toBeInstanceOf(UsageError);
    expect(await usage(['--load-best'])).toBeInstanceOf(UsageError);
    expect(await usage(['--early-stopping', '2', '--eval-manifest', evalManifest])).toBeInstanceOf(UsageError);
    expect(await usage(['--early-stopping-threshold', '0.1'])).toBeInstanceOf(UsageError);
    expect(await usage(['--load-best', '--eval-manifest', evalManifest, '--eval-every', '2', '--save-every', '3'])).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/saveSteps is 3; expected a multiple of evalSteps \(2; two ratios are compared as ratios\) with loadBestModelAtEnd/),
    });
  });

  it("--group-by-length: HF Trainer's length-grouped batches and evaluation order (fixture case adamw_group_by_length)", async () => {
    const lines = readFileSync(MANIFEST, 'utf8').split('\n').filter(Boolean);
    const ref = reference.cases.adamw_group_by_length;
    const evalManifest = join(tmp, 'grouped-eval.jsonl');
    writeFileSync(evalManifest, `${(ref.eval_examples as number[]).map((k) => JSON.stringify({ ...JSON.parse(lines[k]!), image: resolvePath(MODEL, JSON.parse(lines[k]!).image) })).join('\n')}\n`);
    const flags = ['--model', MODEL, '--manifest', MANIFEST, '--lr', '5e-3', '--weight-decay', '0.01', '--max-grad-norm', '0.5', '--schedule', 'linear', '--warmup-steps', '1',
      '--batch-size', '2', '--epochs', '3', '--seed', '7', '--no-dropout', '--group-by-length', '--eval-manifest', evalManifest, '--eval-every', '2', '--eval-on-start',
      '--no-predict-with-generate', '--out', join(tmp, 'grouped'), '--json'];
    const run = await train(flags);
    expect(run.error).toBeUndefined();
    const got = run.lines.map((l) => JSON.parse(l));
    const updates = got.filter((l) => 'loss' in l && !('eval_loss' in l) && 'grad_norm' in l);
    expect(updates.map((l) => l.step)).toEqual(ref.steps.map((s: { step: number }) => s.step));
    updates.forEach((l, i) => expect(Math.abs(l.loss - ref.steps[i].loss), `update ${l.step}`).toBeLessThan(1e-4));
    const evals = got.filter((l) => 'eval_loss' in l);
    expect(evals.map((e) => e.step)).toEqual(ref.eval_steps_at);
    evals.forEach((e, i) => expect(Math.abs(e.eval_loss - ref.eval_losses[i]), `evaluation ${i + 1}`).toBeLessThan(1e-4));
    expect(JSON.parse(readFileSync(join(tmp, 'grouped', 'trainer_state.json'), 'utf8')).ved).toMatchObject({ data_order: 'length_grouped', data_seed: 7 });
    const both = await train([...flags, '--no-shuffle']);
    expect(both.error).toBeInstanceOf(UsageError);
    expect((both.error as Error).message).toBe('give --no-shuffle or --group-by-length, not both');
  });

  it('--eval-strategy / --save-strategy epoch and ratios for --eval-every / --save-every: HF Trainer\'s evaluations, stop and best (fixture cases adamw_epoch, adamw_ratio)', async () => {
    const lines = readFileSync(MANIFEST, 'utf8').split('\n').filter(Boolean);
    const evalManifest = join(tmp, 'epoch-eval.jsonl');
    const ref = reference.cases.adamw_epoch;
    writeFileSync(evalManifest, `${(ref.eval_examples as number[]).map((k) => JSON.stringify({ ...JSON.parse(lines[k]!), image: resolvePath(MODEL, JSON.parse(lines[k]!).image) })).join('\n')}\n`);
    const base = ['--model', MODEL, '--manifest', MANIFEST, '--schedule', 'constant', '--batch-size', '2', '--no-dropout', '--no-shuffle', '--eval-manifest', evalManifest];
    const epoch = [...base, '--lr', '0.15', '--grad-accum', '2', '--epochs', '8', '--eval-strategy', 'epoch', '--eval-delay', '2', '--save-strategy', 'epoch', '--load-best', '--early-stopping', '2'];
    const run = await train([...epoch, '--out', join(tmp, 'epoch'), '--json']);
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.lines.at(-1)!)).toMatchObject({ global_step: 8, stopped_early: true, best_global_step: 4, best_model_step: 4 });
    const evals = run.lines.map((l) => JSON.parse(l)).filter((l) => 'eval_loss' in l);
    expect(evals.map((e) => e.step)).toEqual(ref.eval_steps_at);
    evals.forEach((e, i) => expect(Math.abs(e.eval_loss - ref.eval_losses[i]), `eval ${i + 1}`).toBeLessThan(1e-4));

    const ratio = reference.cases.adamw_ratio;
    const byRatio = await train([...base, '--lr', '0.06', '--steps', '8', '--eval-every', '0.25', '--save-every', '0.5', '--load-best', '--out', join(tmp, 'ratio'), '--json']);
    expect(byRatio.error).toBeUndefined();
    expect(byRatio.lines.map((l) => JSON.parse(l)).filter((l) => 'eval_loss' in l).map((e) => e.step)).toEqual(ratio.eval_steps_at);
    expect(JSON.parse(byRatio.lines.at(-1)!)).toMatchObject({ global_step: 8, best_global_step: ratio.best_global_step, best_model_step: ratio.best_model_step });

    // --logging-steps / --logging-first-step: trainer_state.json's log_history as Python's (fixture case adamw_logging).
    const logging = reference.cases.adamw_logging;
    const logged = await train(['--model', MODEL, '--manifest', MANIFEST, '--lr', '5e-3', '--weight-decay', '0.01', '--max-grad-norm', '0.5', '--warmup-steps', '1',
      '--batch-size', '2', '--steps', '8', '--no-dropout', '--no-shuffle', '--logging-steps', '3', '--logging-first-step', '--out', join(tmp, 'logging'), '--json']);
    expect(logged.error).toBeUndefined();
    expect(logged.lines.filter((l) => 'loss' in JSON.parse(l))).toHaveLength(8); // --json: every update
    const history = JSON.parse(readFileSync(join(tmp, 'logging', 'trainer_state.json'), 'utf8')).log_history.filter((e: { loss?: number }) => e.loss !== undefined);
    expect(history.map((e: { step: number }) => e.step)).toEqual(logging.logged.map((e: { step: number }) => e.step));
    history.forEach((e: { loss: number }, i: number) => expect(Math.abs(e.loss - logging.logged[i].loss)).toBeLessThan(1e-4));

    // Two --eval-manifest files: two sets named by their files, the best model by --best-eval-set's loss (fixture case adamw_eval_sets).
    const sets = reference.cases.adamw_eval_sets;
    const setFile = (name: string) => {
      const file = join(tmp, `${name}.jsonl`);
      writeFileSync(file, `${(sets.args.eval_sets[name] as number[]).map((k) => JSON.stringify({ ...JSON.parse(lines[k]!), image: resolvePath(MODEL, JSON.parse(lines[k]!).image) })).join('\n')}\n`);
      return file;
    };
    const named = await train([...base.filter((a) => a !== '--eval-manifest' && a !== evalManifest), '--eval-manifest', setFile('val'), '--eval-manifest', setFile('held'),
      '--lr', '0.03', '--steps', '12', '--eval-every', '1', '--save-every', '2', '--load-best', '--best-eval-set', 'held', '--early-stopping', '3', '--out', join(tmp, 'eval-sets'), '--json']);
    expect(named.error).toBeUndefined();
    const namedEvals = named.lines.map((l) => JSON.parse(l)).filter((l) => 'eval_loss' in l);
    expect(namedEvals.map((e) => [e.step, e.dataset])).toEqual(sets.eval_log.map(([step, set]: [number, string]) => [step, set]));
    namedEvals.forEach((e, i) => expect(Math.abs(e.eval_loss - sets.eval_log[i][2]), `evaluation ${i + 1}`).toBeLessThan(1e-4));
    expect(JSON.parse(named.lines.at(-1)!)).toMatchObject({ metric_for_best_model: 'eval_held_loss', best_global_step: sets.best_global_step, best_model_step: sets.best_model_step });

    const usage = async (extra: string[]) => (await train([...base, '--steps', '2', '--out', join(tmp, 'x'), ...extra])).error;
    expect(await usage(['--best-eval-set', 'held'])).toMatchObject({ message: expect.stringMatching(/--best-eval-set held names none of the evaluation sets/) });
    expect(await usage(['--eval-manifest', join(tmp, 'a', 'val.jsonl'), '--eval-manifest', join(tmp, 'b', 'val.jsonl')])).toMatchObject({
      message: expect.stringMatching(/would both name the set "val": rename one of the files/),
    });
    expect(await usage(['--logging-steps', '2.5'])).toMatchObject({ message: '--logging-steps is 2.5; expected a whole number of updates, or a ratio of the total below 1' });
    expect(await usage(['--eval-strategy', 'epoch', '--eval-every', '2'])).toMatchObject({ message: '--eval-every counts updates: drop it with --eval-strategy epoch' });
    expect(await usage(['--eval-strategy', 'steps'])).toMatchObject({ message: '--eval-strategy steps needs --eval-every N' });
    expect(await usage(['--save-strategy', 'epoch', '--save-every', '2'])).toMatchObject({ message: '--save-every counts updates: drop it with --save-strategy epoch' });
    expect(await usage(['--eval-every', '1.5'])).toMatchObject({ message: '--eval-every is 1.5; expected a whole number of updates, or a ratio of the total below 1' });
    expect(await usage(['--eval-strategy', 'epoch', '--load-best'])).toMatchObject({ message: expect.stringMatching(/--load-best with --eval-strategy epoch needs --save-strategy epoch/) });
    expect(await usage(['--save-best', '--save-strategy', 'epoch', '--eval-strategy', 'epoch'])).toBeInstanceOf(UsageError);
    expect(await usage(['--save-strategy', 'best'])).toMatchObject({ message: expect.stringMatching(/--save-strategy best needs --eval-manifest FILE and --eval-every N or --eval-strategy epoch/) });
  });

  it('--eval-batch-size, --generation-max-length / --generation-num-beams, --no-predict-with-generate', async () => {
    const base = ['--model', MODEL, '--manifest', MANIFEST, '--json', '--steps', '1', '--batch-size', '3', '--eval-manifest', MANIFEST];
    const evalLine = async (out: string, extra: string[]) => {
      const { lines, error } = await train([...base, '--out', join(tmp, out), ...extra]);
      expect(error).toBeUndefined();
      return JSON.parse(lines.find((l) => l.includes('eval_loss'))!);
    };
    const plain = await evalLine('eval-plain', []);
    // Another batching gives another loss (each batch's token mean, weighted by its size, as Trainer.evaluation_loop).
    const batched = await evalLine('eval-batched', ['--eval-batch-size', '6']);
    expect(Number.isFinite(batched.eval_loss) && batched.eval_loss !== plain.eval_loss).toBe(true);
    expect(await evalLine('eval-loss-only', ['--no-predict-with-generate'])).toMatchObject({ eval_loss: plain.eval_loss, exact_match: null, cer: null });
    const short = await evalLine('eval-short', ['--generation-max-length', '2', '--generation-num-beams', '2']);
    expect(short.eval_loss).toBe(plain.eval_loss);
    expect(short.cer).not.toBe(plain.cer); // one new token at most: other texts
    const usage = async (extra: string[]) => (await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'x'), ...extra])).error;
    expect(await usage(['--eval-batch-size', '2'])).toBeInstanceOf(UsageError);
    expect(await usage(['--eval-manifest', MANIFEST, '--no-predict-with-generate', '--generation-num-beams', '2'])).toBeInstanceOf(UsageError);
  });

  it('a NaN loss stops with an error naming the step; the last checkpoint stays', async () => {
    const out = join(tmp, 'nan');
    const { lines, error } = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', out, '--json', '--optimizer', 'sgd', '--lr', '1e30', '--max-grad-norm', '0', '--schedule', 'constant', '--steps', '5', '--save-every', '1', '--no-shuffle', '--no-dropout']);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as TrainingDivergedError).code).toBe('TRAINING_DIVERGED');
    const step = (error as TrainingDivergedError).step;
    expect((error as Error).message).toMatch(new RegExp(`Training diverged at step ${step}`));
    expect(lines.length).toBe(step - 1);
    expect(JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8')).global_step).toBe(step - 1);
  });

  it('trains a float16 checkpoint (the default model) in float32 and saves float32 weights', async () => {
    const out = join(tmp, 'default-model');
    const heldout = join(REPO_ROOT, 'packages/default-model/examples/heldout/manifest.jsonl');
    const { lines, error } = await train(['--model', defaultModelDir, '--manifest', heldout, '--out', out, '--steps', '2', '--batch-size', '2', '--json']);
    expect(error).toBeUndefined();
    expect(lines.map((l) => JSON.parse(l).step)).toEqual([1, 2]);
    const saved = parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))), 'model.safetensors');
    expect(new Set(saved.names().map((n) => saved.info(n).dtype))).toEqual(new Set(['F32']));
  });

  it('--schedule takes every schedule of @ved/training; --schedule-kwargs gives its arguments (the logged lr follows them)', async () => {
    expect((trainCommand.flags.schedule as { choices: readonly string[] }).choices).toEqual([...SCHEDULER_TYPES]);
    const kwargs = { num_decay_steps: 2, decay_type: 'linear', min_lr_ratio: 0.25 };
    const args = ['--lr', '5e-3', '--schedule', 'warmup_stable_decay', '--schedule-kwargs', JSON.stringify(kwargs), '--warmup-steps', '2', '--batch-size', '2', '--steps', '5', '--no-dropout', '--no-shuffle'];
    const { lines, error } = await train(['--model', MODEL, '--manifest', MANIFEST, '--out', join(tmp, 'wsd'), '--json', ...args]);
    expect(error).toBeUndefined();
    // get_wsd_schedule over 5 updates: warmup 0, 0.5 (from min_lr_ratio), stable 1, decay 1 then 0.625.
    const schedule = new LearningRateSchedule({ type: 'warmup_stable_decay', learningRate: 5e-3, warmupSteps: 2, totalSteps: 5, kwargs });
    expect(lines.map((l) => JSON.parse(l).lr)).toEqual([0, 1, 2, 3, 4].map((s) => schedule.rateAt(s)));
    expect([0, 1, 2, 3, 4].map((s) => schedule.factor(s))).toEqual([0.25, 0.625, 1, 1, 0.625]);
  });

  it('refuses bad input before training, with typed errors', async () => {
    const err = async (args: string[]) => (await train(args)).error as Error;
    const base = ['--model', MODEL, '--manifest', MANIFEST];
    expect(await err([...base, '--out', MODEL])).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/--out .* is the --model directory/) });
    expect((await err([...base, '--out', join(MODEL, 'sub')])).message).toMatch(/inside the --model directory/);
    expect(await err([...base, '--out', join(tmp, 'x'), '--eval-every', '2'])).toBeInstanceOf(UsageError);
    expect(await err([...base, '--out', join(tmp, 'x'), '--steps', '2', '--epochs', '1'])).toBeInstanceOf(UsageError);
    expect(await err([...base, '--out', join(tmp, 'x'), '--momentum', '0.9'])).toBeInstanceOf(UsageError);
    expect(await err([...base, '--out', join(tmp, 'x'), '--schedule-kwargs', '{num_cycles: 2}'])).toBeInstanceOf(UsageError);
    expect(await err([...base, '--out', join(tmp, 'x'), '--schedule-kwargs', '[2]'])).toBeInstanceOf(UsageError);
    expect(await err([...base, '--out', join(tmp, 'x'), '--schedule', 'cosine', '--schedule-kwargs', '{"power": 2}'])).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'lrSchedulerKwargs: the cosine schedule has no "power" (it takes "num_cycles").',
    });
    expect(await err([...base, '--out', join(tmp, 'x'), '--schedule', 'cosine_with_min_lr'])).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/needs "min_lr" or "min_lr_rate"/) });

    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, `${readFileSync(MANIFEST, 'utf8').split('\n')[0]}\n{"image": "a.png"}\n`);
    expect((await err(['--model', MODEL, '--manifest', bad, '--out', join(tmp, 'x')])).message).toMatch(/bad.jsonl, line 2: give exactly one of "text" or "labels", found neither/);
    const vocab = join(tmp, 'vocab.jsonl');
    writeFileSync(vocab, `{"image": "${fixturePath('images', 'rgb_17x53.png')}", "labels": [5, 300]}\n`);
    expect((await err(['--model', MODEL, '--manifest', vocab, '--out', join(tmp, 'x'), '--steps', '1'])).message).toMatch(/vocab.jsonl, line 1: label 1 is 300, outside the vocabulary \[0, 300\)/);
    const broken = join(tmp, 'broken.png');
    writeFileSync(broken, 'not an image');
    const image = join(tmp, 'image.jsonl');
    writeFileSync(image, `{"image": "${broken}", "text": "x"}\n`);
    expect(await err(['--model', MODEL, '--manifest', image, '--out', join(tmp, 'x'), '--steps', '1'])).toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/image.jsonl, line 1: /) });
    const other = fixturePath('models', 'vit-gpt2-a');
    const otherOut = join(tmp, 'other');
    expect((await train(['--model', other, '--manifest', MANIFEST, '--out', otherOut, '--steps', '1', '--batch-size', '6', '--no-dropout'])).error).toBeUndefined();
    expect((await err([...base, '--out', join(tmp, 'x'), '--resume', otherOut, '--steps', '2', '--batch-size', '6'])).message).toMatch(/holds the training state of another model/);
  });
});
