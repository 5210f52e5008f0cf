/**
 * `ved results --redis URL --queue NAME --manifest FILE --out FILE [--wait] [--poll-ms N] [--json]`
 *
 * Collects the results of a manifest's jobs: once every line's job has
 * finished (`--wait` polls until then), writes one `ved caption --json` line
 * per manifest line, in manifest order, to FILE; a failed line is written as
 * `{"image", "error": {"code", "message"}}` and listed on stderr. Without
 * `--wait`, while jobs are pending, it writes nothing and says how many are
 * pending. `--json` prints the counts as one JSON line.
 */
import { writeFile } from 'node:fs/promises';
import { VedError } from '@ved/core';
import type { LineOutcome } from '../queue/jobs.js';
import { readJobManifest } from '../queue/manifest.js';
import { defineCommand, runCommand } from './args.js';
import { QUEUE_FLAGS } from './enqueue.js';

export const resultsCommand = defineCommand({
  name: 'results',
  summary: 'write one `ved caption --json` line per manifest line once its jobs are done (--wait), or count those pending',
  description:
    'Lines are written in manifest order; a failed line is {"image", "error": {"code", "message"}} and is listed on stderr. ' +
    'Without --wait, while jobs are pending, nothing is written and the pending count is printed.',
  flags: {
    ...QUEUE_FLAGS,
    manifest: { type: 'string', metavar: 'FILE', required: true, help: 'the manifest given to `ved enqueue`' },
    out: { type: 'string', metavar: 'FILE', required: true, help: 'where the result lines go' },
    wait: { type: 'boolean', help: 'poll until no job is pending' },
    'poll-ms': { type: 'integer', min: 1, default: 1000, help: 'milliseconds between polls with --wait' },
    json: { type: 'boolean', help: 'print the counts as one JSON line {"lines", "done", "failed", "pending", "written"}' },
  },
  examples: ['ved results --queue scans --manifest scans.jsonl --out texts.jsonl --wait'],
  async run({ values }) {
    const name = values.queue;
    const pollMs = values['poll-ms'];
    const lines = await readJobManifest(values.manifest);
    const [{ connectRedis }, { lineOutcomes, openQueue }] = await Promise.all([import('../queue/connection.js'), import('../queue/jobs.js')]);
    const redis = await connectRedis(values.redis);
    const queue = openQueue(name, redis);
    try {
      let outcomes: LineOutcome[];
      for (;;) {
        outcomes = await lineOutcomes(queue, lines);
        if (!values.wait || !outcomes.some((o) => o.state === 'pending')) break;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      const count = (state: LineOutcome['state']) => outcomes.filter((o) => o.state === state).length;
      const summary = { lines: lines.length, done: count('done'), failed: count('failed'), pending: count('pending'), written: false };
      if (summary.pending === 0) {
        const text = outcomes
          .map((o, i) => JSON.stringify(o.state === 'done' ? { image: lines[i]!.image, sequences: o.result.sequences } : { image: lines[i]!.image, error: (o as Extract<LineOutcome, { state: 'failed' }>).error }))
          .join('\n');
        try {
          await writeFile(values.out, `${text}\n`);
        } catch (cause) {
          throw new VedError('WRITE_FAILED', `Cannot write ${values.out}: ${(cause as Error).message}.`, { cause });
        }
        summary.written = true;
        outcomes.forEach((o, i) => {
          if (o.state === 'failed') process.stderr.write(`ved results: line ${lines[i]!.line} (${lines[i]!.image}) failed: [${o.error.code}] ${o.error.message}\n`);
        });
      }
      if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else if (summary.written) process.stdout.write(`${values.out}: ${summary.lines} lines, ${summary.done} done, ${summary.failed} failed\n`);
      else process.stdout.write(`${summary.pending} of ${summary.lines} jobs pending (${summary.done} done, ${summary.failed} failed); nothing written (use --wait to wait for them)\n`);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  },
});

/** `ved results ...argv` (without plugin loading). */
export const runResults = (argv: string[]): Promise<void> => runCommand(resultsCommand, argv);
