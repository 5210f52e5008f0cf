/**
 * `ved enqueue --redis URL --queue NAME --manifest FILE [--generation-config JSON|FILE] [--attempts N]`
 *
 * Adds one caption job per manifest line (`{"image": "path"}`) to a BullMQ
 * queue on Redis, for `ved worker`s to run. Job ids come from the images'
 * absolute paths: enqueueing the same manifest again adds nothing.
 */
import { DEFAULT_ATTEMPTS } from '../queue/defaults.js';
import { readJobManifest } from '../queue/manifest.js';
import { readGenerationConfigFlag } from './generation-config-flag.js';
import { defineCommand, runCommand, UsageError, type FlagTable } from './args.js';

/** The flags every queue command takes. */
export const QUEUE_FLAGS = {
  redis: { type: 'string', metavar: 'URL', default: 'redis://127.0.0.1:6379', help: 'the Redis server (redis:// or rediss://)' },
  queue: { type: 'string', metavar: 'NAME', required: true, help: 'the BullMQ queue' },
} as const satisfies FlagTable;

export const enqueueCommand = defineCommand({
  name: 'enqueue',
  summary: 'add one caption job per line of a JSON-lines manifest of {"image"} to a Redis queue (again: adds nothing)',
  description: "Job ids come from the images' absolute paths, so enqueueing the same manifest again adds nothing. `ved worker`s run the jobs; `ved results` collects them.",
  flags: {
    ...QUEUE_FLAGS,
    manifest: { type: 'string', metavar: 'FILE', required: true, help: 'JSON lines of {"image": PATH}' },
    'generation-config': { type: 'string', metavar: 'JSON|FILE', help: "generation options of every job: a JSON object or file with Python's snake_case keys" },
    attempts: { type: 'integer', min: 1, default: DEFAULT_ATTEMPTS, help: 'tries per job before it counts as failed' },
    'post-process': {
      type: 'boolean',
      help: 'Nougat checkpoints: each result also carries "post_processed", the text after NougatProcessor.post_process_generation (as ved caption --post-process)',
    },
    'no-fix-markdown': { type: 'boolean', help: 'with --post-process: fix_markdown=False' },
  },
  examples: ['ved enqueue --queue scans --manifest scans.jsonl --generation-config \'{"num_beams": 4}\''],
  async run({ values }) {
    const name = values.queue;
    const attempts = values.attempts;
    const generationConfig = await readGenerationConfigFlag(values['generation-config']);
    if (values['no-fix-markdown'] && !values['post-process']) throw new UsageError('--no-fix-markdown needs --post-process');
    const postProcess = values['post-process'] ? { fix_markdown: !values['no-fix-markdown'] } : undefined;
    const lines = await readJobManifest(values.manifest);
    const [{ connectRedis }, { enqueueLines, openQueue }] = await Promise.all([import('../queue/connection.js'), import('../queue/jobs.js')]);
    const redis = await connectRedis(values.redis);
    const queue = openQueue(name, redis);
    try {
      const { added, existing } = await enqueueLines(queue, lines, generationConfig, attempts, postProcess);
      process.stdout.write(`${values.manifest}: ${lines.length} lines, ${added} jobs added to queue "${name}", ${existing} already there\n`);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  },
});

/** `ved enqueue ...argv` (without plugin loading). */
export const runEnqueue = (argv: string[]): Promise<void> => runCommand(enqueueCommand, argv);
