/**
 * Gradient clipping and AdamW's update on a second thread
 * (`AdamW.stepParallel`): onnxruntime is idle while the optimizer runs, so the
 * other core takes half of the tensors. The arrays travel by transfer (no
 * copy): a worker receives a job's parameter, gradient and moments, measures
 * the gradient (`sumOfSquares` of `@ved/training`), and once told clipping's
 * coefficient updates them with `runAdamWJob` (the same arithmetic as on the
 * main thread) and sends the parameter and moments back, transferred again,
 * then collects its garbage (the gradients it was given).
 * Measured in docs/training.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { VedError } from '@ved/core';
import type { AdamWResult, ParallelUpdates } from '@ved/training';

/**
 * The worker: loads @ved/training's built module, then answers a batch of jobs with their gradients' sums of
 * squares, and the next message (clipping's coefficient, or null) with the jobs, updated.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
require('node:v8').setFlagsFromString('--expose-gc');
const collectGarbage = require('node:vm').runInNewContext('gc');
import(workerData.training).then(({ runAdamWJob, sumOfSquares }) => {
  let held = [];
  parentPort.on('message', (message) => {
    if (message.jobs !== undefined) {
      held = message.jobs;
      parentPort.postMessage({ sums: held.map((job) => sumOfSquares(job.g)) });
      return;
    }
    if (message.gradScale !== null) {
      for (const job of held) {
        job.c.gradScale = message.gradScale;
        runAdamWJob(job);
      }
    }
    // The gradients stay here: sent back without being transferred, they would be copied.
    const results = held.map(({ name, p, m, v }) => ({ name, p, m, v }));
    held = [];
    parentPort.postMessage({ results }, results.flatMap((r) => [r.p.buffer, r.m.buffer, r.v.buffer]));
    // Free them now: this thread allocates almost nothing, so no collection would come before the next
    // update's run, and half of every gradient would stay resident through it (470 MiB of ViT-B/16 +
    // GPT-2's peak).
    collectGarbage();
  });
  parentPort.postMessage('ready');
});
`;

/** An array that owns its whole buffer can be transferred; a view into a larger one is copied first. */
const own = (a: Float32Array) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice());

/**
 * The built module of @ved/training (its package's `default` export): plain Node loads it in the
 * worker, also when this file runs from TypeScript sources under a test runner.
 */
function trainingModule(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@ved/training'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: { '.': { default: string } } };
  const file = join(dir, pkg.exports['.'].default);
  if (!existsSync(file)) throw new VedError('MISSING_PACKAGE', `createParallelUpdates needs @ved/training built: ${file} is missing (run pnpm build).`);
  return pathToFileURL(file).href;
}

/** A worker thread for `AdamW.stepParallel`; `close()` it when training ends. */
export async function createParallelUpdates(): Promise<ParallelUpdates> {
  const training = trainingModule();
  // Not the parent's flags: a test runner's export conditions would resolve packages to their TypeScript sources.
  const worker = new Worker(WORKER, { eval: true, workerData: { training }, execArgv: [] });
  worker.unref();
  type Reply = { sums: number[] } | { results: AdamWResult[] };
  let pending: { resolve: (reply: Reply) => void; reject: (err: unknown) => void } | undefined;
  let failure: unknown;
  worker.on('error', (err) => {
    failure = err;
    pending?.reject(err);
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.on('message', (reply: Reply) => {
    const p = pending;
    pending = undefined;
    p?.resolve(reply);
  });
  let measured = false;
  const send = (message: unknown, transfer: ArrayBuffer[], what: string): Promise<Reply> => {
    if (failure !== undefined) return Promise.reject(failure);
    if (pending !== undefined) return Promise.reject(new VedError('RUNTIME', `ParallelUpdates.${what}: the previous message is still being answered.`));
    return new Promise((resolve, reject) => {
      pending = { resolve, reject };
      worker.postMessage(message, transfer);
    });
  };
  return {
    async measure(jobs) {
      if (measured) throw new VedError('RUNTIME', 'ParallelUpdates.measure: the jobs measured before have not been updated yet.');
      const sent = jobs.map((job) => ({ ...job, p: own(job.p), g: own(job.g), m: own(job.m), v: own(job.v) }));
      const reply = await send({ jobs: sent }, sent.flatMap((job) => [job.p.buffer, job.g.buffer, job.m.buffer, job.v.buffer]) as ArrayBuffer[], 'measure');
      measured = true;
      return (reply as { sums: number[] }).sums;
    },
    async update(gradScale) {
      if (!measured) throw new VedError('RUNTIME', 'ParallelUpdates.update: no jobs were measured.');
      measured = false;
      return ((await send({ gradScale }, [], 'update')) as { results: AdamWResult[] }).results;
    },
    async close() {
      await worker.terminate();
    },
  };
}
