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
import { parseArgs } from 'node:util';
import { defaultModelDir } from '@ved/default-model';
import { FORMAT_FLAG_OPTIONS, formatOptionsFromFlags } from '../exports/format-flags.js';
import { connectRedis } from '../queue/connection.js';
import { startWorker } from '../queue/jobs.js';
import { CaptionEngine } from '../serve/engine.js';
import { MAX_IMAGE_PIXELS } from '../serve/image-body.js';
import { positiveInt, usage } from './args.js';
import { QUEUE_FLAGS, queueName } from './enqueue.js';

export async function runWorker(argv: string[]): Promise<void> {
  const { values } = usage(() =>
    parseArgs({
      args: argv,
      options: {
        ...QUEUE_FLAGS,
        model: { type: 'string' },
        concurrency: { type: 'string' },
        'max-batch': { type: 'string' },
        'max-new-tokens-cap': { type: 'string' },
        'max-image-pixels': { type: 'string' },
        'lock-duration': { type: 'string' },
        'stalled-interval': { type: 'string' },
        threads: { type: 'string' },
        ...FORMAT_FLAG_OPTIONS,
      },
    }),
  );
  const name = queueName(values.queue);
  const maxBatch = positiveInt('max-batch', values['max-batch'], 16)!;
  const concurrency = positiveInt('concurrency', values.concurrency, maxBatch)!;
  const maxNewTokensCap = positiveInt('max-new-tokens-cap', values['max-new-tokens-cap'], 1024)!;
  const maxImagePixels = positiveInt('max-image-pixels', values['max-image-pixels'], MAX_IMAGE_PIXELS)!;
  const lockDuration = positiveInt('lock-duration', values['lock-duration']);
  const stalledInterval = positiveInt('stalled-interval', values['stalled-interval']);

  const threads = positiveInt('threads', values.threads);
  const load = { ...formatOptionsFromFlags(values), ...(threads !== undefined ? { sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } } : {}) };
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
}
