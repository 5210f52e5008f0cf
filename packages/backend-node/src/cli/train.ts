/**
 * `ved train --model DIR --manifest train.jsonl --out DIR [options]`: fine-tunes
 * a checkpoint on a JSON-lines manifest of `{"image", "text"}` or
 * `{"image", "labels"}` with `@ved/training`'s Trainer (HF Trainer's loop,
 * torch.optim's AdamW, SGD, RMSprop and Adagrad, transformers' Adafactor), and writes a Hugging Face checkpoint plus
 * `optimizer.safetensors` and `trainer_state.json` into --out.
 *
 * Every flag, with its TrainingArguments name, is in the table below (`ved train --help`).
 *
 * `--json` lines: `{"step": N, "loss": x, "lr": x, "grad_norm": x}` after each
 * update (the mean loss of its micro-batches before the update, the rate it
 * used, the gradient norm before clipping), and `{"step": N, "eval_loss": x,
 * "exact_match": x, "cer": x, "wer": x}` after each evaluation (with `"dataset": name`
 * after "step" when --eval-manifest names several sets), and with --load-best,
 * --save-best, --early-stopping or --best-metric a last line `{"global_step", "stopped_early",
 * "metric_for_best_model", "best_metric", "best_global_step", "best_model_step"}`.
 * Without --json, a progress bar on stderr (cli-progress): step/total, loss, images/s, ETA.
 */
import { realpath } from 'node:fs/promises';
import { dirname, relative, resolve, sep, isAbsolute, basename } from 'node:path';
import type { MultiBar } from 'cli-progress';
import { VedError, VisionEncoderDecoderModel } from '@ved/core';
import type { EvalMetrics, StepMetrics, TrainingArguments } from '@ved/training';
import { DirectoryFiles } from '../directory-files.js';
import { ImageToText } from '../pipeline.js';
import { nodeRuntime } from '../runtime.js';
import { writeCheckpoint } from '../save.js';
import { collectGarbage } from '../collect-garbage.js';
import { findTcmalloc, processAllocator, TCMALLOC_PATHS, type AllocatorName } from '../allocator.js';
import { isCliProcess, PRELOAD_CHILD_ENV, runPreloaded } from './preload-child.js';
import { createParallelUpdates } from '../parallel-updates.js';
import { readTrainingManifest } from '../training-data.js';
import { defineCommand, runCommand, UsageError } from './args.js';
import { HARDENING_FLAGS, hardeningOptions } from './hardening-flags.js';


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

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'fine-tune a checkpoint on a JSON-lines manifest of {"image", "text"} or {"image", "labels"} (see docs/training.md)',
  description:
    "Hugging Face Trainer's loop with torch.optim's AdamW, SGD, RMSprop or Adagrad, or transformers' Adafactor; writes a Hugging Face checkpoint plus optimizer.safetensors and trainer_state.json " +
    'into --out (the names in brackets are TrainingArguments\'). With --json, one JSON line per update ({"step", "loss", "lr", "grad_norm"}) and per ' +
    'evaluation ({"step", "eval_loss", "exact_match", "cer", "wer"}, with "dataset" for several --eval-manifest), and with --load-best, --save-best, --early-stopping or --best-metric a last line with the best model ' +
    '({"global_step", "stopped_early", "metric_for_best_model", "best_metric", "best_global_step", "best_model_step"}); without it, a progress bar on stderr (step, loss, images/s, ETA). ' +
    'Ctrl-C saves the last complete update.',
  flags: {
    model: { type: 'string', metavar: 'DIR', required: true, help: 'the checkpoint to fine-tune (safetensors)' },
    manifest: { type: 'string', metavar: 'FILE', required: true, help: 'JSON lines of {"image", "text"} or {"image", "labels"}' },
    out: { type: 'string', metavar: 'DIR', required: true, help: 'where the fine-tuned checkpoint goes (not --model or inside it)' },
    ...HARDENING_FLAGS,
    steps: { type: 'integer', min: 1, help: 'optimizer updates [max_steps] (give this or --epochs)' },
    epochs: { type: 'number', min: 0, exclusiveMin: true, defaultText: '3 when --steps is not given', help: 'epochs [num_train_epochs]' },
    'batch-size': { type: 'integer', min: 1, default: 8, help: '[per_device_train_batch_size]; also the evaluation batch size unless --eval-batch-size' },
    'eval-batch-size': { type: 'integer', min: 1, defaultText: '--batch-size', help: '[per_device_eval_batch_size]' },
    'grad-accum': { type: 'integer', min: 1, default: 1, help: '[gradient_accumulation_steps]' },
    lr: { type: 'number', metavar: 'X', min: 0, default: 5e-5, help: '[learning_rate]' },
    optimizer: {
      type: 'choice',
      choices: ['adamw', 'sgd', 'adafactor', 'rmsprop', 'adagrad'],
      default: 'adamw',
      help: "[optim]; adafactor as HF Trainer builds transformers' Adafactor; rmsprop and adagrad, torch.optim's",
    },
    momentum: { type: 'number', metavar: 'X', min: 0, defaultText: '0', help: 'SGD or RMSprop momentum [optim_args] (needs --optimizer sgd or rmsprop)' },
    'optim-args': {
      type: 'string',
      metavar: 'K=V,…',
      help: "the optimizer's arguments as HF's optim_args: sgd momentum, dampening, nesterov; rmsprop momentum, alpha, eps, centered; adagrad lr_decay, eps (e.g. 'momentum=0.9,centered=True')",
    },
    'weight-decay': { type: 'number', metavar: 'X', min: 0, default: 0, help: '[weight_decay] (never on biases and LayerNorm weights)' },
    'max-grad-norm': { type: 'number', metavar: 'X', min: 0, default: 1, help: '[max_grad_norm]; 0 turns clipping off' },
    'label-smoothing': { type: 'number', metavar: 'X', min: 0, max: 1, default: 0, help: "[label_smoothing_factor]: train on HF Trainer's label-smoothed loss" },
    schedule: {
      type: 'choice',
      // @ved/training's SCHEDULER_TYPES (the CLI does not import it before a command runs; train.test.ts checks they agree).
      choices: [
        'constant',
        'constant_with_warmup',
        'linear',
        'cosine',
        'cosine_with_restarts',
        'polynomial',
        'inverse_sqrt',
        'cosine_with_min_lr',
        'cosine_warmup_with_min_lr',
        'warmup_stable_decay',
        'reduce_lr_on_plateau',
        'greedy',
      ],
      default: 'linear',
      help: '[lr_scheduler_type]; constant with --warmup-steps is constant_with_warmup',
    },
    'schedule-kwargs': {
      type: 'string',
      metavar: 'JSON',
      help: 'the schedule\'s own arguments [lr_scheduler_kwargs], e.g. \'{"num_cycles": 2}\', \'{"min_lr": 1e-6}\', \'{"num_decay_steps": 100}\'',
    },
    'warmup-steps': { type: 'integer', min: 0, default: 0, help: '[warmup_steps]' },
    'freeze-encoder': { type: 'boolean', help: "no gradient for the encoder's weights (encoder.)" },
    'no-dropout': { type: 'boolean', help: 'dropout off (default: training-mode dropout)' },
    'no-shuffle': { type: 'boolean', help: 'batches follow the manifest order, epoch after epoch' },
    'group-by-length': {
      type: 'boolean',
      help: "[train_sampling_strategy=group_by_length]: batches of similar label lengths (less padding), in HF Trainer's LengthGroupedSampler order",
    },
    allocator: {
      type: 'choice',
      choices: ['auto', 'tcmalloc', 'system'],
      default: 'auto',
      help:
        "memory allocator: auto trains in a child process under gperftools' tcmalloc when it is installed (Debian: libtcmalloc-minimal4), with onnxruntime's CPU arena off " +
        '(lower peak memory at the same speed, docs/training.md), else as system; tcmalloc fails without it; system keeps the allocator this process started with',
    },
    'no-memory-arena': {
      type: 'boolean',
      help: "onnxruntime's CPU memory arena off for the training graph: with MALLOC_MMAP_THRESHOLD_=131072 in the environment the peak memory falls to what the step needs, at the cost of slower updates (docs/training.md)",
    },
    verbose: { type: 'boolean', help: "name the memory allocator and whether onnxruntime's CPU arena is on, on stderr" },
    seed: { type: 'integer', min: 0, default: 0, help: "[seed]: data order (HF Trainer's torch.randperm per epoch) and dropout masks" },
    'data-seed': { type: 'integer', min: 0, defaultText: '--seed', help: '[data_seed]: the shuffled data order alone (with --group-by-length: the evaluation sets\' order)' },
    'max-target-length': { type: 'integer', min: 1, help: 'truncate tokenized texts (special tokens included)' },
    'append-eos': { type: 'boolean', help: "end every tokenized text with the model's eos_token_id (GPT-2-style tokenizers add none)" },
    'logging-steps': {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      metavar: 'N',
      defaultText: '1',
      help: "a trainer_state.json log_history entry every N updates (or a ratio N < 1 of the total), with the mean loss since the last [logging_steps]; --json prints every update either way",
    },
    'logging-strategy': { type: 'choice', choices: ['steps', 'epoch', 'no'], defaultText: 'steps', help: '[logging_strategy] of the log_history entries' },
    'logging-first-step': { type: 'boolean', help: 'log the first update too [logging_first_step]' },
    'eval-manifest': {
      type: 'string',
      metavar: 'FILE',
      multiple: true,
      help: 'evaluate (eval loss, exact match, CER, WER) after the last update; given more than once, several sets named by their files (val.jsonl: eval_val_loss) [eval_dataset]',
    },
    'best-eval-set': { type: 'string', metavar: 'NAME', defaultText: 'the first', help: 'with several --eval-manifest: the set whose --best-metric counts' },
    'eval-every': {
      type: 'number',
      min: 0,
      exclusiveMin: true,
      metavar: 'N',
      help: '… and every N updates, or a ratio N < 1 of the total [eval_steps] (needs --eval-manifest)',
    },
    'eval-strategy': {
      type: 'choice',
      choices: ['steps', 'epoch'],
      help: '[eval_strategy]: steps (every --eval-every updates) or epoch (at the end of every epoch, and where training stops inside one) (needs --eval-manifest)',
    },
    'no-predict-with-generate': {
      type: 'boolean',
      help: 'evaluations measure the loss only, without generating (faster; exact_match, cer and wer are null) [predict_with_generate=False]',
    },
    'generation-max-length': { type: 'integer', min: 1, metavar: 'N', help: "evaluations generate up to N tokens [generation_max_length] (default: the checkpoint's generation config)" },
    'generation-num-beams': { type: 'integer', min: 1, metavar: 'N', help: "evaluations generate with N beams [generation_num_beams] (default: the checkpoint's generation config)" },
    'eval-delay': {
      type: 'number',
      min: 0,
      metavar: 'N',
      help: 'no evaluation before update N (--eval-every), or before epoch N (--eval-strategy epoch) [eval_delay]',
    },
    'eval-on-start': { type: 'boolean', help: 'evaluate before the first update too, as a baseline [eval_on_start] (needs --eval-manifest)' },
    'save-every': { type: 'number', min: 0, exclusiveMin: true, metavar: 'N', help: 'also save every N updates, or a ratio N < 1 of the total [save_steps]' },
    'save-strategy': {
      type: 'choice',
      choices: ['steps', 'epoch', 'best'],
      help: '[save_strategy]: steps (every --save-every updates), epoch (at the end of every epoch, and where training stops inside one) or best (as --save-best); the last update is always saved',
    },
    'save-best': {
      type: 'boolean',
      help: '[save_strategy best]: save into --out whenever an evaluation finds a new best by --best-metric (instead of --save-every; needs --eval-every or --eval-strategy epoch)',
    },
    'load-best': {
      type: 'boolean',
      help: '[load_best_model_at_end]: end with the weights of the best saved update by --best-metric (needs --eval-every and --save-every a multiple of it, --eval-strategy epoch and --save-strategy epoch, or --save-best)',
    },
    'best-metric': {
      type: 'choice',
      choices: ['loss', 'exact_match', 'cer', 'wer'],
      defaultText: 'loss',
      help: '[metric_for_best_model] of --load-best, --early-stopping and the plateau schedule; lower loss, CER and WER, higher exact match are better [greater_is_better]',
    },
    'early-stopping': {
      type: 'integer',
      min: 1,
      metavar: 'N',
      help: "stop after N evaluations in a row without improvement [EarlyStoppingCallback's early_stopping_patience] (needs --eval-every or --eval-strategy epoch)",
    },
    'early-stopping-threshold': { type: 'number', metavar: 'X', min: 0, defaultText: '0', help: 'an improvement must exceed X [early_stopping_threshold]' },
    'save-only-model': {
      type: 'boolean',
      help: "[save_only_model]: --out gets the model and trainer_state.json, not the optimizer's state (AdamW's is twice the weights); such a checkpoint cannot be resumed",
    },
    resume: { type: 'string', metavar: 'DIR', help: 'continue exactly from a checkpoint this command saved' },
    json: { type: 'boolean', help: 'one JSON line per update and per evaluation on stdout' },
  },
  examples: [
    'ved train --model ./vit-gpt2 --manifest train.jsonl --out ./fine-tuned --epochs 3',
    'ved train --model ./vit-gpt2 --manifest train.jsonl --out ./ft --steps 500 --lr 1e-4 --schedule cosine --warmup-steps 50 --eval-manifest val.jsonl --eval-every 100',
    'ved train --model ./vit-gpt2 --manifest train.jsonl --out ./ft --epochs 10 --eval-manifest val.jsonl --eval-every 100 --save-every 100 --load-best --best-metric cer --early-stopping 3',
    'ved train --model ./vit-gpt2 --manifest train.jsonl --out ./ft --epochs 10 --eval-manifest val.jsonl --eval-strategy epoch --save-strategy epoch --load-best --early-stopping 2',
  ],
  async run({ values, argv }) {
    if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
    if (values['no-shuffle'] && values['group-by-length']) throw new UsageError('give --no-shuffle or --group-by-length, not both');
    const optimizer = values.optimizer as NonNullable<TrainingArguments['optim']>;
    const schedule = values.schedule as NonNullable<TrainingArguments['lrSchedulerType']>;
    let scheduleKwargs: Record<string, unknown> | undefined;
    if (values['schedule-kwargs'] !== undefined) {
      try {
        scheduleKwargs = JSON.parse(values['schedule-kwargs']) as Record<string, unknown>;
      } catch (e) {
        throw new UsageError(`--schedule-kwargs is not valid JSON (${(e as Error).message}); expected an object such as '{"num_cycles": 2}'`);
      }
      if (typeof scheduleKwargs !== 'object' || scheduleKwargs === null || Array.isArray(scheduleKwargs)) {
        throw new UsageError(`--schedule-kwargs must be a JSON object such as '{"num_cycles": 2}', got ${values['schedule-kwargs']}`);
      }
    }
    const momentum = values.momentum;
    if (momentum !== undefined && momentum !== 0 && optimizer !== 'sgd' && optimizer !== 'rmsprop') throw new UsageError('--momentum is an SGD and RMSprop option; add --optimizer sgd or rmsprop');
    const optimArgs = values['optim-args'] === undefined ? {} : parseOptimArgs(values['optim-args']);
    if (momentum !== undefined && optimArgs.momentum !== undefined) throw new UsageError('give the momentum once: --momentum or --optim-args momentum=…');
    if (momentum !== undefined && (optimizer === 'sgd' || optimizer === 'rmsprop')) optimArgs.momentum = momentum;
    for (const flag of ['eval-every', 'save-every', 'logging-steps'] as const) {
      const n = values[flag];
      if (n !== undefined && n >= 1 && !Number.isInteger(n)) throw new UsageError(`--${flag} is ${n}; expected a whole number of updates, or a ratio of the total below 1`);
    }
    if (values['eval-strategy'] === 'epoch' && values['eval-every'] !== undefined) throw new UsageError('--eval-every counts updates: drop it with --eval-strategy epoch');
    if (values['eval-strategy'] === 'steps' && values['eval-every'] === undefined) throw new UsageError('--eval-strategy steps needs --eval-every N');
    const evalStrategy = values['eval-strategy'] ?? (values['eval-every'] !== undefined ? 'steps' : undefined);
    const evalManifests = evalSetNames(values['eval-manifest']);
    if (values['best-eval-set'] !== undefined && !evalManifests.some((m) => m.name === values['best-eval-set'])) {
      throw new UsageError(`--best-eval-set ${values['best-eval-set']} names none of the evaluation sets (${evalManifests.map((m) => m.name ?? '(one unnamed set)').join(', ') || 'no --eval-manifest'})`);
    }
    if (evalStrategy !== undefined && evalManifests.length === 0) throw new UsageError(`--${values['eval-every'] !== undefined ? 'eval-every' : 'eval-strategy'} needs --eval-manifest FILE`);
    if (values['save-strategy'] !== undefined && values['save-strategy'] !== 'steps' && values['save-every'] !== undefined) {
      throw new UsageError(`--save-every counts updates: drop it with --save-strategy ${values['save-strategy']}`);
    }
    if (values['save-strategy'] === 'steps' && values['save-every'] === undefined) throw new UsageError('--save-strategy steps needs --save-every N');
    if (values['save-best'] && values['save-strategy'] !== undefined && values['save-strategy'] !== 'best') throw new UsageError(`give --save-best or --save-strategy ${values['save-strategy']}, not both`);
    const saveStrategy = (values['save-best'] ? 'best' : values['save-strategy']) as TrainingArguments['saveStrategy'];
    for (const flag of ['eval-batch-size', 'generation-max-length', 'generation-num-beams', 'no-predict-with-generate'] as const) {
      if (values[flag] !== undefined && values[flag] !== false && evalManifests.length === 0) throw new UsageError(`--${flag} needs --eval-manifest FILE`);
    }
    if (values['no-predict-with-generate'] && (values['generation-max-length'] !== undefined || values['generation-num-beams'] !== undefined)) {
      throw new UsageError('--generation-max-length and --generation-num-beams are for evaluations that generate; drop --no-predict-with-generate');
    }
    if (values['save-best'] && values['save-every'] !== undefined) throw new UsageError('give --save-best or --save-every, not both');
    if (values['eval-delay'] !== undefined && evalStrategy === undefined) throw new UsageError('--eval-delay needs --eval-every N or --eval-strategy epoch');
    if (values['eval-on-start'] && evalManifests.length === 0) throw new UsageError('--eval-on-start needs --eval-manifest FILE');
    for (const flag of ['load-best', 'early-stopping', 'save-best'] as const) {
      if (values[flag] !== undefined && values[flag] !== false && evalStrategy === undefined) throw new UsageError(`--${flag} needs --eval-manifest FILE and --eval-every N or --eval-strategy epoch`);
    }
    if (saveStrategy === 'best' && evalStrategy === undefined) throw new UsageError('--save-strategy best needs --eval-manifest FILE and --eval-every N or --eval-strategy epoch');
    if (values['load-best'] && evalStrategy === 'epoch' && saveStrategy !== 'epoch' && saveStrategy !== 'best') {
      throw new UsageError('--load-best with --eval-strategy epoch needs --save-strategy epoch (or best): only a saved update can be loaded back');
    }
    if (values['early-stopping-threshold'] !== undefined && values['early-stopping'] === undefined) throw new UsageError('--early-stopping-threshold needs --early-stopping N');
    const bestMetric = values['best-metric'] as 'loss' | 'exact_match' | 'cer' | 'wer' | undefined;
    const tracksBest = values['load-best'] || values['save-best'] || values['early-stopping'] !== undefined || bestMetric !== undefined;
    // Several evaluation sets: the one whose metric chooses the best model.
    const bestSet = evalManifests[0]?.name === undefined ? undefined : (values['best-eval-set'] ?? evalManifests[0]!.name);
    const warmupSteps = values['warmup-steps'];
    const batchSize = values['batch-size'];
    const steps = values.steps;
    const epochs = values.epochs;
    const args: TrainingArguments = {
      ...(steps !== undefined ? { maxSteps: steps } : {}),
      ...(epochs !== undefined ? { numTrainEpochs: epochs } : {}),
      batchSize,
      evalBatchSize: values['eval-batch-size'] ?? batchSize,
      ...(values['no-predict-with-generate'] ? { predictWithGenerate: false } : {}),
      ...(values['generation-max-length'] !== undefined ? { generationMaxLength: values['generation-max-length'] } : {}),
      ...(values['generation-num-beams'] !== undefined ? { generationNumBeams: values['generation-num-beams'] } : {}),
      gradientAccumulationSteps: values['grad-accum'],
      learningRate: values.lr,
      optim: optimizer,
      ...(Object.keys(optimArgs).length > 0 ? { optimArgs } : {}),
      weightDecay: values['weight-decay'],
      maxGradNorm: values['max-grad-norm'],
      labelSmoothingFactor: values['label-smoothing'],
      lrSchedulerType: schedule === 'constant' && warmupSteps > 0 ? 'constant_with_warmup' : schedule,
      ...(scheduleKwargs !== undefined ? { lrSchedulerKwargs: scheduleKwargs } : {}),
      warmupSteps,
      freeze: values['freeze-encoder'] ? ['encoder.'] : [],
      dropout: !values['no-dropout'],
      trainSamplingStrategy: values['group-by-length'] ? 'group_by_length' : values['no-shuffle'] ? 'sequential' : 'random',
      seed: values.seed,
      ...(values['data-seed'] !== undefined ? { dataSeed: values['data-seed'] } : {}),
      ...(values['max-target-length'] !== undefined ? { maxTargetLength: values['max-target-length'] } : {}),
      ...(values['append-eos'] ? { appendEosToken: true } : {}),
      ...(values['logging-steps'] !== undefined ? { loggingSteps: values['logging-steps'] } : {}),
      ...(values['logging-strategy'] !== undefined ? { loggingStrategy: values['logging-strategy'] as 'steps' | 'epoch' | 'no' } : {}),
      ...(values['logging-first-step'] ? { loggingFirstStep: true } : {}),
      ...(evalStrategy === 'epoch' ? { evalStrategy } : {}),
      ...(values['eval-every'] !== undefined ? { evalSteps: values['eval-every'] } : {}),
      ...(values['save-every'] !== undefined ? { saveSteps: values['save-every'] } : {}),
      ...(values['eval-delay'] !== undefined ? { evalDelay: values['eval-delay'] } : {}),
      ...(values['eval-on-start'] ? { evalOnStart: true } : {}),
      ...(saveStrategy !== undefined ? { saveStrategy } : {}),
      ...(values['save-only-model'] ? { saveOnlyModel: true } : {}),
      ...(values['load-best'] ? { loadBestModelAtEnd: true } : {}),
      // The CLI names the metric's direction: a character error rate is better lower (Python's default would be higher).
      // With several evaluation sets, the metric is one set's (eval_<set>_<metric>), as HF's metric_for_best_model names it.
      ...(bestSet !== undefined && (tracksBest || schedule === 'reduce_lr_on_plateau' || schedule === 'greedy')
        ? { metricForBestModel: `eval_${bestSet}_${bestMetric ?? 'loss'}`, greaterIsBetter: bestMetric === 'exact_match' }
        : bestMetric !== undefined
          ? { metricForBestModel: bestMetric, greaterIsBetter: bestMetric === 'exact_match' }
          : {}),
      ...(values['early-stopping'] !== undefined ? { earlyStoppingPatience: values['early-stopping'] } : {}),
      ...(values['early-stopping-threshold'] !== undefined ? { earlyStoppingThreshold: values['early-stopping-threshold'] } : {}),
    };
    // Every argument the flags give is checked before anything loads (or a child process starts).
    (await import('@ved/training')).resolveArguments(args);
    const modelDir = values.model;
    const out = values.out;
    const choice = values.allocator as 'auto' | 'tcmalloc' | 'system';
    const allocator = processAllocator();
    if (choice !== 'system' && allocator !== 'tcmalloc' && process.env[PRELOAD_CHILD_ENV] === undefined && isCliProcess()) {
      // The allocator is chosen when a process starts: train in a child started under tcmalloc.
      const library = process.platform === 'linux' ? findTcmalloc() : undefined;
      if (library !== undefined) return runPreloaded(library, 'train', argv);
    }
    if (process.env[PRELOAD_CHILD_ENV] !== undefined && allocator !== 'tcmalloc' && choice === 'auto') {
      process.stderr.write(`ved train: preloading ${process.env[PRELOAD_CHILD_ENV]} did not take effect; training with the ${allocator} allocator\n`);
    }
    if (choice === 'tcmalloc' && allocator !== 'tcmalloc') throw new VedError('INVALID_OPTION', tcmallocMissing(allocator));
    // Under tcmalloc, intermediates come from it (the arena off): freed spans are reused, not kept per region.
    const lowMemory = values['no-memory-arena'] || (choice !== 'system' && allocator === 'tcmalloc');
    if (values.verbose) {
      const preloaded = allocator === 'system' ? '' : ` (${process.env[PRELOAD_CHILD_ENV] ?? 'preloaded'})`;
      process.stderr.write(`ved train: memory allocator ${allocator}${preloaded}, onnxruntime's CPU arena ${lowMemory ? 'off' : 'on'}\n`);
    }
    if (values['no-memory-arena'] && allocator === 'system' && process.platform === 'linux' && process.env.MALLOC_MMAP_THRESHOLD_ === undefined) {
      // glibc reads it when the process starts: without it, freed intermediates mostly stay in its heaps.
      process.stderr.write(lowMemoryHint());
    }
    await checkOut(out, modelDir);

    // The Trainer and the progress bars load when training runs, not with every `ved` command.
    const [{ Trainer, defaultSessionFactory, withFloat32Weights, BEST_MODEL_FILE, OPTIMIZER_FILE }, { MultiBar, Presets }] = await Promise.all([import('@ved/training'), import('cli-progress')]);
    // Every manifest line and image path is checked before the model loads.
    const trainDataset = await readTrainingManifest(values.manifest);
    const evalSets = await Promise.all(evalManifests.map(async ({ name, file }) => ({ name, examples: await readTrainingManifest(file) })));
    const evalDataset =
      evalSets.length === 0 ? undefined : evalSets[0]!.name === undefined ? evalSets[0]!.examples : Object.fromEntries(evalSets.map((s) => [s.name!, s.examples]));

    const pipe = await ImageToText.fromPretrained(modelDir, { format: 'safetensors', ...hardeningOptions(values) });
    if (!(pipe.model instanceof VisionEncoderDecoderModel)) {
      await pipe.dispose();
      throw new VedError('INVALID_INPUT', `${modelDir} is an ONNX export; training needs the safetensors checkpoint.`);
    }
    // float16 / bfloat16 checkpoints (the default model) train, and are saved, in float32.
    const model = await withFloat32Weights(pipe.model, nodeRuntime);
    // Training reads the weights, not the inference graphs: release their onnxruntime sessions (they
    // hold a copy of every weight: 913 MiB for ViT-B/16 + GPT-2). Evaluation generates with a model
    // of the trained weights (`Trainer.toModel`), and the pipeline's processor and tokenizer stay usable.
    await Promise.all([model.dispose(), pipe.model.dispose()]);
    const json = values.json;
    const write = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
    const bars = json || values.quiet ? undefined : new MultiBar({ stream: process.stderr, hideCursor: true, etaBuffer: 20, noTTYOutput: true, notTTYSchedule: 10_000, format: 'step {value}/{total} [{bar}] loss {loss} | {ips} img/s | ETA {eta_formatted}' }, Presets.shades_classic);
    let bar: ReturnType<MultiBar['create']> | undefined;
    let started = 0;
    let imagesSeen = 0;
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSigint);
    let savedStep = -1;
    // Half of AdamW's update on the other core while onnxruntime waits (identical numbers).
    const parallelUpdates = await createParallelUpdates();
    const release = async () => {
      process.removeListener('SIGINT', onSigint);
      // The worker thread of the parallel updates would keep the process alive.
      await parallelUpdates.close();
      if (model !== pipe.model) await model.dispose();
      await pipe.dispose();
    };
    let trainer: InstanceType<typeof Trainer<string>>;
    try {
      trainer = new Trainer<string>({
        parallelUpdates,
        model,
        runtime: nodeRuntime,
        args,
        trainDataset,
        ...(evalDataset ? { evalDataset } : {}),
        prepareImages: (images) => pipe.preprocess(images),
        ...(pipe.tokenizer ? { tokenizer: pipe.tokenizer } : {}),
        createSession: lowMemory
          ? (m, r, o) => defaultSessionFactory(m, r, { ...o, sessionOptions: { ...o.sessionOptions, enableCpuMemArena: false } })
          : defaultSessionFactory,
        saveCheckpoint: async (files, step) => {
          await writeCheckpoint(out, files, [{ dir: modelDir }], { sources: [modelDir], targetLabel: '--out', replaces: [BEST_MODEL_FILE, OPTIMIZER_FILE] });
          savedStep = step;
        },
        callbacks: {
          // Arena off: the previous update's gradients are freed before the next run needs the memory.
          ...(lowMemory ? { onStepBegin: () => collectGarbage() } : {}),
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
            const dataset = m.dataset !== undefined ? { dataset: m.dataset } : {};
            if (json) write({ step: m.step, ...dataset, eval_loss: m.evalLoss, exact_match: m.exactMatch ?? null, cer: m.cer ?? null, wer: m.wer ?? null });
            else {
              const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
              const set = m.dataset !== undefined ? ` (${m.dataset})` : '';
              bars?.log(`step ${m.step}${set}: eval loss ${m.evalLoss.toFixed(4)}, exact match ${pct(m.exactMatch)}, CER ${pct(m.cer)}, WER ${pct(m.wer)}\n`);
            }
          },
        },
      });
    } catch (err) {
      await release();
      throw err;
    }
    try {
      const result = await trainer.train({
        signal: controller.signal,
        ...(values.resume !== undefined ? { resumeFromCheckpoint: new DirectoryFiles(values.resume) } : {}),
      });
      bars?.stop();
      const metric = `eval_${bestSet !== undefined ? `${bestSet}_` : ''}${bestMetric ?? 'loss'}`;
      if (json) {
        if (tracksBest) {
          write({
            global_step: result.globalStep,
            stopped_early: result.stoppedEarly,
            metric_for_best_model: metric,
            best_metric: result.bestMetric ?? null,
            best_global_step: result.bestGlobalStep ?? null,
            best_model_step: result.bestModelStep ?? null,
          });
        }
      } else {
        process.stdout.write(`trained ${result.steps.length} step(s) to step ${result.globalStep}; mean loss ${result.trainingLoss.toFixed(4)}; saved to ${resolve(out)}\n`);
        if (result.stoppedEarly) process.stdout.write(`stopped early: ${values['early-stopping']} evaluation(s) in a row without improvement of ${metric}\n`);
        if (tracksBest && result.bestMetric !== undefined) {
          const where = result.bestGlobalStep !== undefined ? ` at step ${result.bestGlobalStep}` : '';
          const loaded = !values['load-best']
            ? ''
            : result.bestModelStep !== undefined
              ? `; the weights of step ${result.bestModelStep} were loaded back and saved`
              : '; it was not a saved step, so the last weights stay';
          process.stdout.write(`best ${metric} ${result.bestMetric.toFixed(4)}${where}${loaded}\n`);
        }
      }
    } catch (err) {
      bars?.stop();
      if (controller.signal.aborted) {
        // Interrupted (Ctrl-C): keep the updates done so far, the state after the last complete update.
        let saved = savedStep;
        if (trainer.step > Math.max(savedStep, 0)) {
          await writeCheckpoint(out, await trainer.checkpointFiles(), [{ dir: modelDir }], { sources: [modelDir], targetLabel: '--out', replaces: [BEST_MODEL_FILE, OPTIMIZER_FILE] });
          saved = trainer.step;
        }
        throw new VedError(
          'RUNTIME',
          `interrupted during step ${trainer.step + 1}; ${saved > 0 ? `step ${saved} is saved in ${resolve(out)} (${values['save-only-model'] ? 'without the optimizer\'s state (--save-only-model): it cannot be resumed' : `continue with --resume ${out}`})` : 'no step was completed, nothing was saved'}.`,
        );
      }
      throw err;
    } finally {
      await trainer.dispose();
      await release();
    }
  },
});

/**
 * `--optim-args`: HF's `optim_args` string (`_parse_optim_args`: comma-separated `key=value`), with booleans as
 * `_get_sgd` / `_get_rmsprop` read them (`true`, `1`, `yes`, any case) and `lr_decay` as `lrDecay`.
 */
export function parseOptimArgs(text: string): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const part of text.replace(/ /g, '').split(',')) {
    const [key, value, extra] = part.split('=');
    if (!key || value === undefined || value === '' || extra !== undefined) throw new UsageError(`--optim-args: "${part}" is not key=value (e.g. 'momentum=0.9,centered=True')`);
    if (key === 'nesterov' || key === 'centered') out[key] = ['true', '1', 'yes'].includes(value.toLowerCase());
    else {
      const number = Number(value);
      if (!Number.isFinite(number)) throw new UsageError(`--optim-args: ${key} is "${value}"; expected a number`);
      out[key === 'lr_decay' ? 'lrDecay' : key] = number;
    }
  }
  return out;
}

/** The stderr line of `--no-memory-arena` without glibc's mmap threshold set (docs/training.md, "Speed and memory"). */
export const lowMemoryHint = () =>
  'ved train: --no-memory-arena frees what a step no longer needs only with MALLOC_MMAP_THRESHOLD_=131072 in the environment (glibc reads it at start-up): MALLOC_MMAP_THRESHOLD_=131072 ved train ...\n';

/** `--allocator tcmalloc` where this process cannot run under it. */
function tcmallocMissing(allocator: AllocatorName): string {
  if (process.platform !== 'linux') return `--allocator tcmalloc is for Linux; this is ${process.platform}. Use --allocator auto or system.`;
  if (!isCliProcess() || process.env[PRELOAD_CHILD_ENV] !== undefined) {
    return `--allocator tcmalloc: this process runs under the ${allocator} allocator, and only the ved command starts a child under tcmalloc (or start Node with LD_PRELOAD=${TCMALLOC_PATHS[0]}).`;
  }
  return `--allocator tcmalloc: gperftools' tcmalloc is not installed (looked for ${TCMALLOC_PATHS.join(', ')}); install it (Debian, Ubuntu: apt install libtcmalloc-minimal4) or use --allocator auto.`;
}

/** `ved train ...argv` (without plugin loading). */
export const runTrain = (argv: string[]): Promise<void> => runCommand(trainCommand, argv);

/**
 * The `--eval-manifest` files with their set names: one file is the one unnamed set (`eval_loss`, …); several are
 * named by their file names without the extension, other characters than letters, digits and _ as _ (HF's
 * `eval_dataset` dict: `eval_<name>_loss`, …).
 */
export function evalSetNames(files: readonly string[]): { name: string | undefined; file: string }[] {
  if (files.length <= 1) return files.map((file) => ({ name: undefined, file }));
  const sets = files.map((file) => ({ name: basename(file).replace(/\.(jsonl|json)$/i, '').replace(/[^A-Za-z0-9_]/g, '_'), file }));
  for (const [i, set] of sets.entries()) {
    const other = sets.findIndex((s, j) => j !== i && s.name === set.name);
    if (other >= 0) throw new UsageError(`--eval-manifest ${set.file} and ${sets[other]!.file} would both name the set "${set.name}": rename one of the files`);
  }
  return sets;
}
