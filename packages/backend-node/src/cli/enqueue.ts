/**
 * `ved enqueue --redis URL --queue NAME --manifest FILE [--generation-config JSON|FILE] [--attempts N]`
 *
 * Adds one caption job per manifest line (`{"image": "path"}`) to a BullMQ
 * queue on Redis, for `ved worker`s to run. Job ids come from the images'
 * absolute paths: enqueueing the same manifest again adds nothing.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isRecord } from '@ved/core';
import { connectRedis } from '../queue/connection.js';
import { DEFAULT_ATTEMPTS, enqueueLines, openQueue } from '../queue/jobs.js';
import { readJobManifest } from '../queue/manifest.js';
import { positiveInt, usage, UsageError } from './args.js';

/** `--generation-config`: inline JSON (starts with `{`) or a JSON file, snake_case keys. */
export async function readGenerationConfigFlag(value: string | undefined): Promise<Record<string, unknown>> {
  if (value === undefined) return {};
  const inline = value.trimStart().startsWith('{');
  let text = value;
  if (!inline) {
    try {
      text = await readFile(value, 'utf8');
    } catch (err) {
      throw new UsageError(`--generation-config: cannot read ${JSON.stringify(value)} (${(err as Error).message}); give a JSON object or a JSON file`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--generation-config: ${inline ? 'the argument' : value} is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(json)) throw new UsageError('--generation-config must hold a JSON object of snake_case generation options');
  return json;
}

/** The flags every queue command takes. */
export const QUEUE_FLAGS = {
  redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  queue: { type: 'string' },
} as const;

export function queueName(value: string | undefined): string {
  if (value === undefined) throw new UsageError('give the queue with --queue NAME');
  return value;
}

export async function runEnqueue(argv: string[]): Promise<void> {
  const { values } = usage(() =>
    parseArgs({
      args: argv,
      options: { ...QUEUE_FLAGS, manifest: { type: 'string' }, 'generation-config': { type: 'string' }, attempts: { type: 'string' } },
    }),
  );
  if (values.manifest === undefined) throw new UsageError('give the manifest with --manifest FILE');
  const name = queueName(values.queue);
  const attempts = positiveInt('attempts', values.attempts, DEFAULT_ATTEMPTS)!;
  const generationConfig = await readGenerationConfigFlag(values['generation-config']);
  const lines = await readJobManifest(values.manifest);
  const redis = await connectRedis(values.redis);
  const queue = openQueue(name, redis);
  try {
    const { added, existing } = await enqueueLines(queue, lines, generationConfig, attempts);
    process.stdout.write(`${values.manifest}: ${lines.length} lines, ${added} jobs added to queue "${name}", ${existing} already there\n`);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
