/**
 * `ved worker --redis URL --queue NAME [--model DIR] [--concurrency N] [--max-batch N]
 * [--dtype D] [--threads N] [--max-image-pixels N] [--max-new-tokens-cap N] [--lock-duration MS] [--stalled-interval MS]`
 *
 * Runs the caption jobs of a BullMQ queue: holds up to `--concurrency` jobs at
 * once and decodes them in one continuous batch, storing each job's
 * `ved caption --json` line as its result. Any number of workers, on any
 * number of machines, can share one Redis (the images' paths must resolve on
 * each). SIGTERM or SIGINT finishes the jobs held, then exits 0; a worker
 * killed outright loses nothing (its jobs return to the queue once their
 * locks expire).
 */
import { defaultModelDir } from '@ved/default-model';
import { MAX_IMAGE_PIXELS } from '../serve/image-body.js';
import { defineCommand, runCommand } from './args.js';
import { MODEL_FLAGS, formatOptions } from './common-flags.js';
import { QUEUE_FLAGS } from './enqueue.js';

export const workerCommand = defineCommand({
  name: 'worker',
  summary: 'run the caption jobs of a Redis queue (BullMQ), batching the jobs it holds (see docs/serving.md)',
  description:
    "Holds up to --concurrency jobs at once and decodes them in one continuous batch, storing each job's `ved caption --json` line as its result. " +
    "Any number of workers on any number of machines can share one Redis (the images' paths must resolve on each). SIGTERM or SIGINT finishes the " +
    'jobs held, then exits 0; a worker killed outright loses nothing (its jobs return to the queue once their locks expire).',
  flags: {
    ...QUEUE_FLAGS,
    ...MODEL_FLAGS,
    concurrency: { type: 'integer', min: 1, defaultText: 'the --max-batch value', help: 'jobs held at once' },
    'max-batch': { type: 'integer', min: 1, default: 16, help: 'decoder rows in one continuous batch' },
    'max-new-tokens-cap': { type: 'integer', min: 1, default: 1024, help: 'the most max_new_tokens a job may ask' },
    'max-image-pixels': { type: 'integer', min: 1, default: MAX_IMAGE_PIXELS, help: 'refuse images whose header declares more pixels, before decoding' },
    'lock-duration': { type: 'integer', metavar: 'MS', min: 1, defaultText: "BullMQ's", help: "how long a job's lock lasts without renewal" },
    'stalled-interval': { type: 'integer', metavar: 'MS', min: 1, defaultText: "BullMQ's", help: 'how often stalled jobs (of killed workers) are looked for' },
    threads: { type: 'integer', min: 1, help: "onnxruntime's intra-op threads per session (default: onnxruntime's)" },
  },
  examples: ['ved worker --queue scans --model ./trocr-small --max-batch 32'],
  async run({ values }) {
    const name = values.queue;
    const maxBatch = values['max-batch'];
    const concurrency = values.concurrency ?? maxBatch;
    const maxNewTokensCap = values['max-new-tokens-cap'];
    const maxImagePixels = values['max-image-pixels'];
    const lockDuration = values['lock-duration'];
    const stalledInterval = values['stalled-interval'];
    const threads = values.threads;
    const load = { ...formatOptions(values), ...(threads !== undefined ? { sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } } : {}) };
    const [{ connectRedis }, { startWorker }, { CaptionEngine }] = await Promise.all([import('../queue/connection.js'), import('../queue/jobs.js'), import('../serve/engine.js')]);
    const engine = await CaptionEngine.load(values.model ?? defaultModelDir, load, { maxBatch, maxNewTokensCap });
    const redis = await connectRedis(values.redis, { persistent: true });
    let done = 0;
    let failed = 0;
    const worker = startWorker(name, redis, engine, {
      concurrency,
      maxImagePixels,
      ...(lockDuration !== undefined ? { lockDuration } : {}),
      ...(stalledInterval !== undefined ? { stalledInterval } : {}),
      onCompleted: () => (done += 1),
      onFailed: (job, err) => {
        failed += 1;
        process.stderr.write(`ved worker: job ${job?.id ?? '?'} (${job?.data.image ?? '?'}) failed: ${err.message}\n`);
      },
    });
    await worker.waitUntilReady();
    process.stderr.write(`ved worker: running queue "${name}" on ${values.redis} (${concurrency} jobs at once, batch of ${maxBatch} rows)\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.stderr.write(`ved worker: ${signal}: finishing the jobs held\n`);
        resolve();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await worker.close();
    await engine.close();
    redis.disconnect();
    process.stderr.write(`ved worker: stopped (${done} jobs done, ${failed} failed)\n`);
  },
});

/** `ved worker ...argv` (without plugin loading). */
export const runWorker = (argv: string[]): Promise<void> => runCommand(workerCommand, argv);
