/**
 * `ved train --model DIR --manifest train.jsonl --out DIR [options]`: fine-tunes
 * a checkpoint on a JSON-lines manifest of `{"image", "text"}` or
 * `{"image", "labels"}` with `@ved/training`'s Trainer (HF Trainer's loop,
 * torch.optim's AdamW / SGD), and writes a Hugging Face checkpoint plus
 * `optimizer.safetensors` and `trainer_state.json` into --out.
 *
 * Options (HF TrainingArguments in brackets):
 *   --steps N | --epochs N     optimizer updates [max_steps] or epochs [num_train_epochs] (default 3 epochs)
 *   --batch-size N (8)         [per_device_train_batch_size]; also the evaluation batch size
 *   --grad-accum N (1)         [gradient_accumulation_steps]
 *   --lr X (5e-5)              [learning_rate]
 *   --optimizer adamw|sgd      [optim] (adamw)
 *   --momentum X (0)           SGD momentum [optim_args]
 *   --weight-decay X (0)       [weight_decay] (never on biases and LayerNorm weights)
 *   --max-grad-norm X (1.0)    [max_grad_norm]; 0 turns clipping off
 *   --schedule constant|linear|cosine (linear) [lr_scheduler_type]; constant with warmup is constant_with_warmup
 *   --warmup-steps N (0)       [warmup_steps]
 *   --freeze-encoder           no gradient for the encoder's weights (`encoder.`)
 *   --no-dropout               dropout off (default: training-mode dropout)
 *   --no-shuffle               batches follow the manifest order, epoch after epoch
 *   --seed N (0)               [seed]: data order and dropout masks
 *   --max-target-length N      truncate tokenized texts (special tokens included)
 *   --append-eos               end every tokenized text with the model's eos_token_id (GPT-2-style tokenizers add none)
 *   --eval-manifest FILE       evaluate (eval loss, exact match, CER) after the last update
 *   --eval-every N             … and every N updates [eval_steps]
 *   --save-every N             also save every N updates [save_steps]
 *   --resume DIR               continue exactly from a checkpoint this command saved
 *   --json                     one JSON line per update and per evaluation on stdout
 *
 * `--json` lines: `{"step": N, "loss": x, "lr": x, "grad_norm": x}` after each
 * update (the mean loss of its micro-batches before the update, the rate it
 * used, the gradient norm before clipping), and `{"step": N, "eval_loss": x,
 * "exact_match": x, "cer": x}` after each evaluation. Without --json, a progress
 * bar on stderr (cli-progress): step/total, loss, images/s, ETA.
 */
import { realpath } from 'node:fs/promises';
import { dirname, relative, resolve, sep, isAbsolute, basename } from 'node:path';
import { parseArgs } from 'node:util';
import { MultiBar, Presets } from 'cli-progress';
import { VedError, VisionEncoderDecoderModel } from '@ved/core';
import { Trainer, defaultSessionFactory, withFloat32Weights, type EvalMetrics, type StepMetrics, type TrainingArguments } from '@ved/training';
import { DirectoryFiles } from '../directory-files.js';
import { ImageToText } from '../pipeline.js';
import { nodeRuntime } from '../runtime.js';
import { writeCheckpoint } from '../save.js';
import { readTrainingManifest } from '../training-data.js';
import { nonNegativeInt, positiveInt, usage, UsageError } from './args.js';

const SCHEDULES = ['constant', 'linear', 'cosine'] as const;

function number(flag: string, value: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} must be ${expected}, got ${JSON.stringify(value)}`);
  return n;
}

/** Refuses an --out that is --model or inside it (the save would overwrite the files being trained from). */
async function checkOut(out: string, model: string): Promise<void> {
  const real = async (p: string): Promise<string> => {
    try {
      return await realpath(p);
    } catch {
      // Not there yet: resolve its closest existing ancestor.
      const parent = dirname(p);
      return parent === p ? p : resolve(await real(parent), basename(p));
    }
  };
  const [o, m] = await Promise.all([real(resolve(out)), real(resolve(model))]);
  const rel = relative(m, o);
  if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))) {
    throw new VedError('INVALID_OPTION', `--out ${out} is ${rel === '' ? 'the --model directory' : 'inside the --model directory'} ${model}; write the fine-tuned checkpoint to another directory.`);
  }
}

export async function runTrain(argv: string[]): Promise<void> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        manifest: { type: 'string' },
        out: { type: 'string' },
        steps: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        'grad-accum': { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        momentum: { type: 'string' },
        'weight-decay': { type: 'string' },
        'max-grad-norm': { type: 'string' },
        schedule: { type: 'string' },
        'warmup-steps': { type: 'string' },
        'freeze-encoder': { type: 'boolean', default: false },
        'no-dropout': { type: 'boolean', default: false },
        'no-shuffle': { type: 'boolean', default: false },
        seed: { type: 'string' },
        'max-target-length': { type: 'string' },
        'append-eos': { type: 'boolean', default: false },
        'eval-manifest': { type: 'string' },
        'eval-every': { type: 'string' },
        'save-every': { type: 'string' },
        resume: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }),
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; give the training data in --manifest FILE`);
  for (const flag of ['model', 'manifest', 'out'] as const) {
    if (values[flag] === undefined) throw new UsageError(`--${flag} ${flag === 'manifest' ? 'FILE' : 'DIR'} is required`);
  }
  if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  const optimizer = values.optimizer ?? 'adamw';
  if (optimizer !== 'adamw' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adamw or sgd, got ${JSON.stringify(optimizer)}`);
  const schedule = values.schedule ?? 'linear';
  if (!(SCHEDULES as readonly string[]).includes(schedule)) throw new UsageError(`--schedule must be one of ${SCHEDULES.join(', ')}, got ${JSON.stringify(schedule)}`);
  const momentum = number('momentum', values.momentum, (n) => n >= 0, 'a non-negative number');
  if (momentum !== undefined && momentum !== 0 && optimizer !== 'sgd') throw new UsageError('--momentum is an SGD option; add --optimizer sgd');
  if (values['eval-every'] !== undefined && values['eval-manifest'] === undefined) throw new UsageError('--eval-every needs --eval-manifest FILE');
  const warmupSteps = nonNegativeInt('warmup-steps', values['warmup-steps'], 0)!;
  const batchSize = positiveInt('batch-size', values['batch-size'], 8)!;
  const steps = positiveInt('steps', values.steps);
  const epochs = number('epochs', values.epochs, (n) => n > 0, 'a positive number');
  const args: TrainingArguments = {
    ...(steps !== undefined ? { maxSteps: steps } : {}),
    ...(epochs !== undefined ? { numTrainEpochs: epochs } : {}),
    batchSize,
    evalBatchSize: batchSize,
    gradientAccumulationSteps: positiveInt('grad-accum', values['grad-accum'], 1)!,
    learningRate: number('lr', values.lr, (n) => n >= 0, 'a non-negative number') ?? 5e-5,
    optim: optimizer,
    ...(optimizer === 'sgd' ? { optimArgs: { momentum: momentum ?? 0 } } : {}),
    weightDecay: number('weight-decay', values['weight-decay'], (n) => n >= 0, 'a non-negative number') ?? 0,
    maxGradNorm: number('max-grad-norm', values['max-grad-norm'], (n) => n >= 0, 'a non-negative number (0 turns clipping off)') ?? 1,
    lrSchedulerType: schedule === 'constant' && warmupSteps > 0 ? 'constant_with_warmup' : (schedule as 'constant' | 'linear' | 'cosine'),
    warmupSteps,
    freeze: values['freeze-encoder'] ? ['encoder.'] : [],
    dropout: !values['no-dropout'],
    shuffle: !values['no-shuffle'],
    seed: nonNegativeInt('seed', values.seed, 0)!,
    ...(values['max-target-length'] !== undefined ? { maxTargetLength: positiveInt('max-target-length', values['max-target-length'])! } : {}),
    ...(values['append-eos'] ? { appendEosToken: true } : {}),
    ...(values['eval-every'] !== undefined ? { evalSteps: positiveInt('eval-every', values['eval-every'])! } : {}),
    ...(values['save-every'] !== undefined ? { saveSteps: positiveInt('save-every', values['save-every'])! } : {}),
  };
  const modelDir = values.model!;
  const out = values.out!;
  await checkOut(out, modelDir);

  // Every manifest line and image path is checked before the model loads.
  const trainDataset = await readTrainingManifest(values.manifest!);
  const evalDataset = values['eval-manifest'] === undefined ? undefined : await readTrainingManifest(values['eval-manifest']);

  const pipe = await ImageToText.fromPretrained(modelDir, { format: 'safetensors' });
  if (!(pipe.model instanceof VisionEncoderDecoderModel)) {
    await pipe.dispose();
    throw new VedError('INVALID_INPUT', `${modelDir} is an ONNX export; training needs the safetensors checkpoint.`);
  }
  // float16 / bfloat16 checkpoints (the default model) train, and are saved, in float32.
  const model = await withFloat32Weights(pipe.model, nodeRuntime);
  const json = values.json;
  const write = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const bars = json ? undefined : new MultiBar({ stream: process.stderr, hideCursor: true, etaBuffer: 20, noTTYOutput: true, notTTYSchedule: 10_000, format: 'step {value}/{total} [{bar}] loss {loss} | {ips} img/s | ETA {eta_formatted}' }, Presets.shades_classic);
  let bar: ReturnType<MultiBar['create']> | undefined;
  let started = 0;
  let imagesSeen = 0;
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  let savedStep = -1;
  const trainer = new Trainer<string>({
    model,
    runtime: nodeRuntime,
    args,
    trainDataset,
    ...(evalDataset ? { evalDataset } : {}),
    prepareImages: (images) => pipe.preprocess(images),
    ...(pipe.tokenizer ? { tokenizer: pipe.tokenizer } : {}),
    createSession: defaultSessionFactory,
    saveCheckpoint: async (files, step) => {
      await writeCheckpoint(out, files, [{ dir: modelDir }], { sources: [modelDir], targetLabel: '--out' });
      savedStep = step;
    },
    callbacks: {
      onTrainBegin: ({ plan, startStep }) => {
        started = performance.now();
        bar = bars?.create(plan.totalSteps, startStep, { loss: '-', ips: '-' });
      },
      onStep: (m: StepMetrics) => {
        imagesSeen += m.examples;
        if (json) write({ step: m.step, loss: m.loss, lr: m.learningRate, grad_norm: m.gradNorm });
        else bar?.update(m.step, { loss: m.loss.toFixed(4), ips: (imagesSeen / ((performance.now() - started) / 1000)).toFixed(1) });
      },
      onEvaluate: (m: EvalMetrics) => {
        if (json) write({ step: m.step, eval_loss: m.evalLoss, exact_match: m.exactMatch ?? null, cer: m.cer ?? null });
        else {
          const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
          bars?.log(`step ${m.step}: eval loss ${m.evalLoss.toFixed(4)}, exact match ${pct(m.exactMatch)}, CER ${pct(m.cer)}\n`);
        }
      },
    },
  });
  try {
    const result = await trainer.train({
      signal: controller.signal,
      ...(values.resume !== undefined ? { resumeFromCheckpoint: new DirectoryFiles(values.resume) } : {}),
    });
    bars?.stop();
    if (!json) process.stdout.write(`trained ${result.steps.length} step(s) to step ${result.globalStep}; mean loss ${result.trainingLoss.toFixed(4)}; saved to ${resolve(out)}\n`);
  } catch (err) {
    bars?.stop();
    if (controller.signal.aborted) {
      // Interrupted (Ctrl-C): keep the updates done so far, the state after the last complete update.
      let saved = savedStep;
      if (trainer.step > Math.max(savedStep, 0)) {
        await writeCheckpoint(out, await trainer.checkpointFiles(), [{ dir: modelDir }], { sources: [modelDir], targetLabel: '--out' });
        saved = trainer.step;
      }
      throw new VedError(
        'RUNTIME',
        `interrupted during step ${trainer.step + 1}; ${saved > 0 ? `step ${saved} is saved in ${resolve(out)} (continue with --resume ${out})` : 'no step was completed, nothing was saved'}.`,
      );
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await trainer.dispose();
    if (model !== pipe.model) await model.dispose();
    await pipe.dispose();
  }
}
