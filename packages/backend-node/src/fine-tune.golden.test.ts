/**
 * Fine-tuning against PyTorch: ved's Trainer on ved's gradient engine versus
 * HF Trainer (transformers 5.18, torch 2.13) on the same tiny composed model
 * and manifest (fixtures/optim/train, made by
 * tools/reference/make_optimizer_fixtures.py), 5 updates in manifest order,
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
 *   there, which Adam divides by its own square root into updates of full size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors, VisionEncoderDecoderModel } from '@ved/core';
import { Trainer, type ParallelUpdates, type StepMetrics, type TrainingArguments } from '@ved/training';
import { createParallelUpdates } from './parallel-updates.js';
import { ImageToText } from './pipeline.js';
import { nodeRuntime } from './runtime.js';
import { readTrainingManifest } from './training-data.js';
import { fixturePath } from './test-utils/fixtures.js';

const DIR = fixturePath('optim', 'train');
interface CaseRef {
  args: Record<string, string | number>;
  steps: { step: number; loss: number; grad_norm: number; learning_rate: number }[];
  /** Manifest lines evaluated every `eval_steps` updates, and Python's eval_loss each time. */
  eval_examples?: number[];
  eval_losses?: number[];
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
  const momentum = typeof a.optim_args === 'string' ? Number(/momentum=([\d.]+)/.exec(a.optim_args)?.[1] ?? 0) : 0;
  return {
    optim: a.optim === 'sgd' || a.optim === 'adafactor' ? a.optim : 'adamw',
    ...(a.optim === 'sgd' ? { optimArgs: { momentum } } : {}),
    learningRate: a.learning_rate as number,
    weightDecay: a.weight_decay as number,
    maxGradNorm: a.max_grad_norm as number,
    lrSchedulerType: a.lr_scheduler_type as NonNullable<TrainingArguments['lrSchedulerType']>,
    ...(a.lr_scheduler_kwargs !== undefined ? { lrSchedulerKwargs: a.lr_scheduler_kwargs as unknown as Record<string, unknown> } : {}),
    ...(a.label_smoothing_factor !== undefined ? { labelSmoothingFactor: a.label_smoothing_factor as number } : {}),
    ...(a.freeze !== undefined ? { freeze: a.freeze as unknown as string[] } : {}),
    ...(a.eval_steps !== undefined ? { evalSteps: a.eval_steps as number, evalBatchSize: a.per_device_eval_batch_size as number, predictWithGenerate: false } : {}),
    warmupSteps: a.warmup_steps as number,
    gradientAccumulationSteps: a.gradient_accumulation_steps as number,
    batchSize: a.per_device_train_batch_size as number,
    maxSteps: reference.max_steps,
    shuffle: false,
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
): Promise<{ steps: StepMetrics[]; evalLosses: number[]; initial: Map<string, Float32Array>; final: Map<string, Float32Array> }> {
  const model = pipe.model as VisionEncoderDecoderModel;
  const manifest = await readTrainingManifest(join(DIR, 'manifest.jsonl'));
  const evalExamples = reference.cases[name]!.eval_examples;
  const trainer = new Trainer<string>({
    ...(parallelUpdates ? { parallelUpdates } : {}),
    model,
    runtime: nodeRuntime,
    args: argsOf(reference.cases[name]!),
    trainDataset: manifest,
    ...(evalExamples !== undefined ? { evalDataset: evalExamples.map((k) => manifest[k]!) } : {}),
    prepareImages: (images) => pipe.preprocess(images),
    tokenizer: pipe.tokenizer!,
  });
  try {
    const initial = new Map(model.weights.names().map((n) => [n, Float32Array.from(model.weights.getFloat32(n))]));
    const out = await trainer.train();
    const files = await trainer.checkpointFiles();
    const saved = parseSafetensors(files.find((f) => f.name === 'model.safetensors')!.bytes, 'model.safetensors');
    const final = new Map(saved.names().map((n) => [n, saved.getFloat32(n)]));
    return { steps: out.steps, evalLosses: out.evaluations.map((e) => e.evalLoss), initial, final };
  } finally {
    await trainer.dispose();
  }
}

describe('training vs HF Trainer (fixtures/optim/train)', () => {
  for (const name of Object.keys(reference.cases)) {
    it(`${name}: per-update loss, learning rate and gradient norm`, async () => {
      const expected = reference.cases[name]!.steps;
      const { steps, evalLosses, initial, final } = await run(name);
      const expectedEval = reference.cases[name]!.eval_losses;
      if (expectedEval !== undefined) {
        expect(evalLosses.length).toBe(expectedEval.length);
        evalLosses.forEach((l, i) => expect(Math.abs(l - expectedEval[i]!), `eval loss ${i + 1}`).toBeLessThan(1e-4));
      }
      expect(steps.map((s) => s.step)).toEqual(expected.map((e) => e.step));
      const diffs = steps.map((s, i) => Math.abs(s.loss - expected[i]!.loss));
      console.log(`${name}: |loss − PyTorch's| per update ${diffs.map((d) => d.toExponential(1)).join(', ')}`);
      steps.forEach((s, i) => {
        const e = expected[i]!;
        expect(Math.abs(s.loss - e.loss), `loss of update ${s.step}`).toBeLessThan(1e-4);
        expect(s.learningRate, `lr of update ${s.step}`).toBeCloseTo(e.learning_rate, 12);
        expect(Math.abs(s.gradNorm - e.grad_norm) / e.grad_norm, `grad norm of update ${s.step}`).toBeLessThan(1e-4);
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
        // AdamW and Adafactor turn the key biases' float noise (their exact gradient is zero) into whole steps: not compared.
        const skip = reference.cases[name]!.args.optim !== 'sgd' ? keyBias(tensor, pt.length) : undefined;
        for (let i = 0; i < pt.length; i++) {
          if (skip !== undefined && i >= skip[0] && i < skip[1]) continue;
          scale = Math.max(scale, Math.abs(pt[i]!));
          diff = Math.max(diff, Math.abs(after[i]! - before[i]! - pt[i]!));
        }
        const rel = scale === 0 ? diff : diff / scale;
        rels.push([tensor, rel]);
        expect(rel, `${tensor}: change vs PyTorch's`).toBeLessThan(1e-3);
      }
      rels.sort((a, b) => b[1] - a[1]);
      console.log(`${name}: largest relative differences of a tensor's change: ${rels.slice(0, 3).map(([t, r]) => `${t} ${r.toExponential(2)}`).join(', ')}`);
    });
  }
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
