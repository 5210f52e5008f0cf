/**
 * The caption jobs on a BullMQ queue: what `ved enqueue` adds, what
 * `ved worker` runs and what `ved results` collects.
 *
 * A job's data is `{image, path, generation_config}` (and `post_process` for
 * Nougat's clean-up of the texts); its return value is the
 * line `ved caption --json` prints for the image. Jobs keep their result in
 * Redis (never removed on completion) until the queue is cleaned. A job that
 * fails on bad input (an unreadable image, a bad option) fails at once with
 * its `VedError` code; other failures are retried (`attempts`, backoff), and
 * a worker that dies mid-batch loses nothing: BullMQ's stalled-job check
 * moves its jobs back to the queue once their locks expire.
 */
import { readFile } from 'node:fs/promises';
import { VedError } from '@ved/core';
import { generationOptionsFromJson } from '@ved/generation';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CaptionEngine, SequenceJson } from '../serve/engine.js';
import { decodeRequestImage } from '../serve/image-body.js';
import type { JobLine } from './manifest.js';

export interface CaptionJobData {
  /** The image as the manifest writes it. */
  image: string;
  /** Its absolute path, read by the worker. */
  path: string;
  /** Snake_case generation options (as `--generation-config`). */
  generation_config: Record<string, unknown>;
  /** `ved enqueue --post-process`: Nougat's `post_process_generation` on the texts (`"post_processed"`). */
  post_process?: { fix_markdown: boolean };
}

/** What a completed job returns: a `ved caption --json` line. */
export interface CaptionJobResult {
  image: string;
  sequences: SequenceJson[];
}

export const JOB_NAME = 'caption';

/** Retries of a job that fails for another reason than its input (a crashed graph run, a lost connection). */
export { DEFAULT_ATTEMPTS } from './defaults.js';
import { DEFAULT_ATTEMPTS } from './defaults.js';

export function openQueue(name: string, connection: Redis): Queue<CaptionJobData, CaptionJobResult> {
  if (name === '' || name.includes(':')) throw new VedError('INVALID_OPTION', `--queue must be a non-empty name without ':', got ${JSON.stringify(name)}.`);
  return new Queue<CaptionJobData, CaptionJobResult>(name, { connection });
}

/** Adds one job per line whose id is not on the queue yet; returns how many were added. */
export async function enqueueLines(
  queue: Queue<CaptionJobData, CaptionJobResult>,
  lines: readonly JobLine[],
  generationConfig: Record<string, unknown>,
  attempts = DEFAULT_ATTEMPTS,
  postProcess?: { fix_markdown: boolean },
): Promise<{ added: number; existing: number }> {
  // Refuse options generate() would refuse before anything is queued (the model's config is checked by the worker).
  generationOptionsFromJson(generationConfig, '--generation-config', 'call');
  let added = 0;
  const unique = [...new Map(lines.map((l) => [l.id, l])).values()];
  const CHUNK = 1000;
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const states = await Promise.all(chunk.map((l) => queue.getJobState(l.id)));
    const fresh = chunk.filter((_, k) => states[k] === 'unknown');
    // A job id already on the queue is ignored by BullMQ as well, so two enqueuers racing add each job once.
    await queue.addBulk(
      fresh.map((l) => ({
        name: JOB_NAME,
        data: { image: l.image, path: l.path, generation_config: generationConfig, ...(postProcess !== undefined ? { post_process: postProcess } : {}) },
        opts: { jobId: l.id, attempts, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    added += fresh.length;
  }
  return { added, existing: unique.length - added };
}

/** Codes of bad input: retrying cannot help, the job fails at once. */
const INPUT_CODES = new Set(['INVALID_IMAGE', 'INVALID_OPTION', 'INVALID_INPUT', 'FILE_NOT_FOUND', 'TOKEN_OUT_OF_RANGE', 'SEQUENCE_TOO_LONG', 'IMAGE_TOO_LARGE']);

/** `[CODE] message`, how a failed job's reason carries its code. */
export function failureReason(code: string, message: string): string {
  return `[${code}] ${message}`;
}

export function parseFailureReason(reason: string): { code: string; message: string } {
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(reason);
  return m ? { code: m[1]!, message: m[2]! } : { code: 'RUNTIME', message: reason };
}

export interface WorkerOptions {
  /** Jobs held at once (they share the engine's batch). */
  concurrency: number;
  /** Largest image, pixels. */
  maxImagePixels: number;
  /** BullMQ lock of an active job, ms: a dead worker's jobs return to the queue after it. */
  lockDuration?: number;
  /** How often the stalled-job check runs, ms. */
  stalledInterval?: number;
  /** How many times a job may stall (its worker died) before it fails. */
  maxStalledCount?: number;
  onCompleted?: (job: Job<CaptionJobData, CaptionJobResult>) => void;
  onFailed?: (job: Job<CaptionJobData, CaptionJobResult> | undefined, err: Error) => void;
}

export function startWorker(name: string, connection: Redis, engine: CaptionEngine, options: WorkerOptions): Worker<CaptionJobData, CaptionJobResult> {
  const worker = new Worker<CaptionJobData, CaptionJobResult>(
    name,
    async (job) => {
      try {
        const generation = generationOptionsFromJson(job.data.generation_config ?? {}, `job ${job.id} generation_config`, 'call');
        let bytes: Uint8Array;
        try {
          bytes = await readFile(job.data.path);
        } catch (cause) {
          throw new VedError('FILE_NOT_FOUND', `${job.data.path}: cannot read the image (${(cause as Error).message}).`, { cause });
        }
        const image = await decodeRequestImage(bytes, job.data.path, options.maxImagePixels);
        const post = job.data.post_process;
        // A checkpoint without Nougat's clean-up fails the job at once (INVALID_OPTION), before generating.
        if (post !== undefined) engine.checkPostProcess();
        const sequences = await engine.caption({ image, options: generation });
        return { image: job.data.image, sequences: post === undefined ? sequences : engine.postProcess(sequences, { fixMarkdown: post.fix_markdown !== false }) };
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && INPUT_CODES.has(code)) throw new UnrecoverableError(failureReason(code, (err as Error).message));
        throw new Error(failureReason(typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'RUNTIME', (err as Error).message));
      }
    },
    {
      connection,
      concurrency: options.concurrency,
      ...(options.lockDuration !== undefined ? { lockDuration: options.lockDuration } : {}),
      ...(options.stalledInterval !== undefined ? { stalledInterval: options.stalledInterval } : {}),
      maxStalledCount: options.maxStalledCount ?? 3,
    },
  );
  worker.on('error', () => {}); // connection errors: ioredis reconnects
  if (options.onCompleted) worker.on('completed', options.onCompleted);
  if (options.onFailed) worker.on('failed', options.onFailed);
  return worker;
}

export type LineOutcome =
  | { state: 'done'; result: CaptionJobResult }
  | { state: 'failed'; error: { code: string; message: string } }
  | { state: 'pending' };

/** The outcome of every line, in manifest order. */
export async function lineOutcomes(queue: Queue<CaptionJobData, CaptionJobResult>, lines: readonly JobLine[]): Promise<LineOutcome[]> {
  const out: LineOutcome[] = [];
  const CHUNK = 500;
  for (let i = 0; i < lines.length; i += CHUNK) {
    const jobs = await Promise.all(lines.slice(i, i + CHUNK).map((l) => queue.getJob(l.id)));
    for (const job of jobs) {
      if (job === undefined || job.finishedOn === undefined) out.push({ state: 'pending' });
      else if (job.failedReason && !job.returnvalue) out.push({ state: 'failed', error: parseFailureReason(job.failedReason) });
      else out.push({ state: 'done', result: job.returnvalue });
    }
  }
  return out;
}
