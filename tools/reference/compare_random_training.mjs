// Compares ved's Trainer with the HF Trainer runs of probe_random_training.py (same folder): per update the
// loss (within 1e-4), the learning rate (1e-12 of the base rate) and the gradient norm (1e-4 relative), the
// evaluation loss after training (1e-4), and every parameter's change over the run (1e-3 of that tensor's
// largest change; AdamW's attention key biases aside: their exact gradient is zero and Adam scales float
// noise to whole steps); with evaluations during training, every evaluation's loss, the update training stopped at
// (and the updates evaluated after) and the best model's state (best_metric, best_global_step, the checkpoint loaded
// back); and that ved refuses the
// arguments Python refuses.
//
// With --resume, each run that Python trained for two updates or more is stopped once in ved (at a random update:
// during its evaluation, or before the next update), its checkpoint written and the run resumed from it in a new
// Trainer; the joined run is compared with Python's uninterrupted one (runs with eval_on_start, which evaluates again
// on resuming in Python too, are run straight).
//
//   .venv-ref/bin/python tools/reference/probe_random_training.py /tmp/rt 100 1
//   pnpm build && node tools/reference/compare_random_training.mjs /tmp/rt [--resume]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryFiles, ImageToText, nodeRuntime, parseSafetensors, readTrainingManifest, writeCheckpoint } from '../../packages/backend-node/dist/index.js';
import { Trainer } from '../../packages/training/dist/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node compare_random_training.mjs OUT_DIR [--resume]');
const resumeMode = process.argv.includes('--resume');
let resumed = 0;
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
const changes = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'changes.safetensors'))), 'changes.safetensors');
const manifest = await readTrainingManifest(join(index.model, 'manifest.jsonl'));
const pipe = await ImageToText.fromPretrained(index.model);

/** HF TrainingArguments → ved's. */
function argsOf(a) {
  const optimArgs = {};
  for (const part of (a.optim_args ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    optimArgs[k === 'lr_decay' ? 'lrDecay' : k] = v === 'True' ? true : v === 'False' ? false : Number(v);
  }
  return {
    optim: ['sgd', 'adafactor', 'rmsprop', 'adagrad'].includes(a.optim) ? a.optim : 'adamw',
    ...(a.optim === 'adafactor' ? { freeze: ['decoder.transformer.h.0.attn.c_attn.bias', 'decoder.transformer.h.0.crossattention.c_attn.bias'] } : {}),
    ...(Object.keys(optimArgs).length > 0 ? { optimArgs } : {}),
    learningRate: a.learning_rate,
    weightDecay: a.weight_decay,
    ...(a.adam_beta1 !== undefined ? { adamBeta1: a.adam_beta1, adamBeta2: a.adam_beta2, adamEpsilon: a.adam_epsilon } : {}),
    maxGradNorm: a.max_grad_norm,
    gradientAccumulationSteps: a.gradient_accumulation_steps,
    batchSize: a.per_device_train_batch_size,
    evalBatchSize: a.per_device_eval_batch_size,
    ...(a.max_steps !== undefined ? { maxSteps: a.max_steps } : { numTrainEpochs: a.num_train_epochs }),
    warmupSteps: a.warmup_steps,
    lrSchedulerType: a.lr_scheduler_type,
    ...(a.lr_scheduler_kwargs !== undefined ? { lrSchedulerKwargs: a.lr_scheduler_kwargs } : {}),
    ...(a.label_smoothing_factor !== undefined ? { labelSmoothingFactor: a.label_smoothing_factor } : {}),
    ...(a.eval_strategy === 'epoch' ? { evalStrategy: 'epoch' } : {}),
    ...(a.eval_steps !== undefined ? { evalSteps: a.eval_steps } : {}),
    ...(a.save_strategy === 'epoch' || a.save_strategy === 'best' ? { saveStrategy: a.save_strategy } : {}),
    ...(a.save_steps !== undefined ? { saveSteps: a.save_steps } : {}),
    ...(a.eval_delay !== undefined ? { evalDelay: a.eval_delay } : {}),
    ...(a.eval_on_start !== undefined ? { evalOnStart: a.eval_on_start } : {}),
    ...(a.load_best_model_at_end !== undefined ? { loadBestModelAtEnd: a.load_best_model_at_end } : {}),
    ...(a.metric_for_best_model !== undefined ? { metricForBestModel: a.metric_for_best_model } : {}),
    ...(a.greater_is_better !== undefined ? { greaterIsBetter: a.greater_is_better } : {}),
    ...(a.early_stopping_patience !== undefined ? { earlyStoppingPatience: a.early_stopping_patience } : {}),
    ...(a.early_stopping_threshold !== undefined ? { earlyStoppingThreshold: a.early_stopping_threshold } : {}),
    trainSamplingStrategy: a.train_sampling_strategy === 'random' || a.train_sampling_strategy === 'group_by_length' ? a.train_sampling_strategy : 'sequential',
    seed: a.seed ?? 0,
    ...(a.data_seed !== undefined ? { dataSeed: a.data_seed } : {}),
    dropout: false,
    predictWithGenerate: false,
  };
}

function keyBias(name, length) {
  if (/crossattention\.c_attn\.bias$/.test(name)) return [0, length / 2];
  if (/\.attn\.c_attn\.bias$/.test(name)) return [length / 3, (2 * length) / 3];
  if (/\.key\.bias$/.test(name)) return [0, length];
  return undefined;
}

const results = { match: 0, refusedByBoth: 0, differ: [] };
let noisy = 0;
for (const run of index.runs) {
  const tag = `${run.id} ${JSON.stringify(run.args)} train ${JSON.stringify(run.train)} eval ${JSON.stringify(run.eval)}`;
  const model = pipe.model;
  let trainer;
  try {
    const make = (callbacks) =>
      new Trainer({
        model,
        runtime: nodeRuntime,
        args: argsOf(run.args),
        trainDataset: run.train.map((k) => manifest[k]),
        evalDataset: run.eval.map((k) => manifest[k]),
        prepareImages: (images) => pipe.preprocess(images),
        tokenizer: pipe.tokenizer,
        ...(callbacks ? { callbacks } : {}),
      });
    const initial = new Map(model.weights.names().map((n) => [n, Float32Array.from(model.weights.getFloat32(n))]));
    let out;
    const cutAt = resumeMode && run.error === undefined && !run.args.eval_on_start && run.steps.length >= 2 ? 1 + (run.id % (run.steps.length - 1)) : undefined;
    if (cutAt === undefined) {
      trainer = make();
      out = await trainer.train();
    } else {
      // Stopped at update cutAt: during its evaluation (odd ids) or before the next update (even ids).
      const stop = new AbortController();
      const steps = [];
      const evaluations = [];
      const first = make({
        onStep: (m) => {
          steps.push(m);
          if (m.step === cutAt && run.id % 2 === 1) stop.abort(new Error('cut'));
        },
        onStepBegin: ({ step }) => step === cutAt + 1 && run.id % 2 === 0 && stop.abort(new Error('cut')),
        onEvaluate: (e) => evaluations.push(e),
      });
      const checkpoint = mkdtempSync(join(tmpdir(), 'ved-resume-'));
      try {
        const straight = await first.train({ signal: stop.signal }).catch((e) => {
          if (!stop.signal.aborted) throw e;
          return undefined;
        });
        if (straight !== undefined) {
          out = straight; // training ended (early stopping) before the cut
          trainer = first;
        } else {
          await writeCheckpoint(checkpoint, await first.checkpointFiles());
          await first.dispose();
          trainer = make();
          const rest = await trainer.train({ resumeFromCheckpoint: new DirectoryFiles(checkpoint) });
          out = { ...rest, steps: [...steps, ...rest.steps], evaluations: [...evaluations, ...rest.evaluations] };
          resumed++;
        }
      } finally {
        rmSync(checkpoint, { recursive: true, force: true });
      }
    }
    const evaluation = await trainer.evaluate();
    if (run.error !== undefined) {
      results.differ.push(`${tag}: Python refused (${run.error}); ved trained`);
      continue;
    }
    const problems = [];
    if (out.steps.length !== run.steps.length) problems.push(`${out.steps.length} updates against Python's ${run.steps.length}`);
    out.steps.forEach((s, i) => {
      const e = run.steps[i];
      if (e === undefined) return;
      if (!(Math.abs(s.loss - e.loss) <= 1e-4)) problems.push(`update ${s.step}: loss ${s.loss} against ${e.loss}`);
      if (!(Math.abs(s.learningRate - e.learning_rate) <= 1e-12 * run.args.learning_rate)) problems.push(`update ${s.step}: lr ${s.learningRate} against ${e.learning_rate}`);
      if (e.grad_norm !== null && !(Math.abs(s.gradNorm - e.grad_norm) <= 1e-4 * Math.max(e.grad_norm, 1e-3))) problems.push(`update ${s.step}: grad norm ${s.gradNorm} against ${e.grad_norm}`);
    });
    if (!(Math.abs(evaluation.evalLoss - run.eval_loss) <= 1e-4)) problems.push(`eval loss ${evaluation.evalLoss} against ${run.eval_loss}`);
    // Without eval_steps Python evaluates only when asked; ved's Trainer also evaluates after the last update then.
    const evals = [...(run.args.eval_strategy !== undefined ? out.evaluations.map((e) => e.evalLoss) : []), evaluation.evalLoss];
    if (run.eval_steps_at !== undefined && run.args.eval_strategy !== undefined && JSON.stringify(out.evaluations.map((e) => e.step)) !== JSON.stringify(run.eval_steps_at)) {
      problems.push(`evaluated after updates ${JSON.stringify(out.evaluations.map((e) => e.step))} against ${JSON.stringify(run.eval_steps_at)}`);
    }
    if (evals.length !== run.evals.length || evals.some((l, i) => !(Math.abs(l - run.evals[i]) <= 1e-4))) problems.push(`evaluations ${JSON.stringify(evals)} against ${JSON.stringify(run.evals)}`);
    if (out.globalStep !== run.global_step) problems.push(`stopped at update ${out.globalStep} against ${run.global_step}`);
    const best = [out.bestGlobalStep ?? null, out.bestModelStep ?? null];
    if (best[0] !== run.best_global_step || best[1] !== run.best_model_step) problems.push(`best step / best checkpoint ${best} against ${run.best_global_step},${run.best_model_step}`);
    if ((out.bestMetric === undefined) !== (run.best_metric === null) || (run.best_metric !== null && !(Math.abs(out.bestMetric - run.best_metric) <= 1e-4))) {
      problems.push(`best metric ${out.bestMetric} against ${run.best_metric}`);
    }
    const files = await trainer.checkpointFiles();
    const saved = parseSafetensors(files.find((f) => f.name === 'model.safetensors').bytes, 'model.safetensors');
    for (const tensor of saved.names()) {
      const key = `${run.id}.${tensor}`;
      if (!changes.has(key)) continue;
      const pt = changes.getFloat32(key);
      const after = saved.getFloat32(tensor);
      const before = initial.get(tensor);
      // With SGD a key bias that starts at zero (ViT's) changes by float noise alone: not compared either.
      const skip = run.args.optim !== 'sgd' || /\.key\.bias$/.test(tensor) ? keyBias(tensor, pt.length) : undefined;
      let scale = 0;
      for (let i = 0; i < pt.length; i++) if (skip === undefined || i < skip[0] || i >= skip[1]) scale = Math.max(scale, Math.abs(pt[i]));
      // Elements off by more than 1e-3 of the tensor's largest change. Adam divides a gradient by its own size:
      // an element whose gradient is near epsilon (or float noise) moves by a noisy fraction of the rate, so one
      // element of a tensor may be off (counted, not failed); a wrong rule moves many.
      let off = 0;
      let worst = 0;
      for (let i = 0; i < pt.length; i++) {
        if (skip !== undefined && i >= skip[0] && i < skip[1]) continue;
        const d = Math.abs(after[i] - before[i] - pt[i]);
        worst = Math.max(worst, d);
        if (d > Math.max(1e-3 * scale, 1e-7)) off++;
      }
      if (off > Math.max(1, 0.002 * pt.length)) problems.push(`${tensor}: ${off} of ${pt.length} elements' change off by up to ${(worst / scale).toExponential(2)} of its scale`);
      else if (off > 0) noisy++;
    }
    if (problems.length === 0) results.match++;
    else results.differ.push(`${tag}: ${problems.slice(0, 5).join('; ')}`);
  } catch (err) {
    if (run.error !== undefined && err?.code !== undefined) results.refusedByBoth++;
    else results.differ.push(`${tag}: ved ${err?.code ?? 'crashed'}: ${String(err?.stack ?? err).slice(0, 300)}${run.error ? `; Python: ${run.error}` : ''}`);
  } finally {
    await trainer?.dispose();
  }
}
await pipe.dispose();
for (const d of results.differ) console.log(d);
if (resumeMode) console.log(`${resumed} runs stopped and resumed`);
console.log(`${index.runs.length} runs: ${results.match} match, ${results.refusedByBoth} refused by both, ${results.differ.length} differ (${noisy} tensor(s) with one element at Adam's noise)`);
process.exitCode = results.differ.length === 0 ? 0 : 1;
