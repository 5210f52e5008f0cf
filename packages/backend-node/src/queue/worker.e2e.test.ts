/**
 * `ved worker` processes as a user runs them (the built `dist/cli.js`, or
 * `VED_CLI`), on a real Redis: a worker killed with SIGKILL in the middle of
 * a batch loses nothing — its jobs return to the queue through BullMQ's
 * stalled-job check and a second worker finishes them — and every manifest
 * line ends with exactly one result, equal to `generate()` alone. The second
 * worker then stops on SIGTERM with exit code 0.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageToText } from '../pipeline.js';
import { runEnqueue } from '../cli/enqueue.js';
import { runResults } from '../cli/results.js';
import { REPO_ROOT, loadModelReference } from '../test-utils/fixtures.js';
import { startRedis, type RedisForTest } from '../test-utils/redis-server.js';
import { connectRedis } from './connection.js';
import { openQueue } from './jobs.js';
import { readJobManifest } from './manifest.js';

const CLI = process.env.VED_CLI ?? join(REPO_ROOT, 'packages/backend-node/dist/cli.js');
const ref = loadModelReference('vit-gpt2-a');
const JOBS = 48;
const OPTIONS = { max_new_tokens: 50, eos_token_id: null };

function worker(redisUrl: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` before the tests.`);
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--redis', redisUrl, '--queue', 'batch', '--model', ref.dir, '--concurrency', '4', '--lock-duration', '1000', '--stalled-interval', '500'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

async function quiet<T>(run: () => Promise<T>): Promise<T> {
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await run();
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('ved worker killed mid-batch', () => {
  let redis: RedisForTest;
  let dir: string;
  let manifest: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'ved-worker-'));
    // Distinct paths (job ids come from paths), cycling through the fixture images.
    const lines = Array.from({ length: JOBS }, (_, i) => {
      const src = join(REPO_ROOT, ref.json.images[i % ref.json.images.length]!);
      const name = `img-${i}${src.slice(src.lastIndexOf('.'))}`;
      copyFileSync(src, join(dir, name));
      return JSON.stringify({ image: name });
    });
    manifest = join(dir, 'manifest.jsonl');
    writeFileSync(manifest, `${lines.join('\n')}\n`);
    await quiet(() => runEnqueue(['--redis', redis.url, '--queue', 'batch', '--manifest', manifest, '--generation-config', JSON.stringify(OPTIONS)]));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('every line ends with exactly one result after SIGKILL of the worker holding its jobs', { timeout: 120_000 }, async () => {
    const connection = await connectRedis(redis.url);
    const queue = openQueue('batch', connection);
    const first = worker(redis.url);
    let activeAtKill: string[] = [];
    try {
      // Kill once the worker has finished some jobs and holds others.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const counts = await queue.getJobCounts('active', 'completed');
        if (counts.completed! >= 2 && counts.active! >= 1) break;
        if (Date.now() > deadline) throw new Error(`the worker never got going: ${first.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      activeAtKill = (await queue.getActive()).map((j) => j.id!);
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(null);
      const after = await queue.getJobCounts('completed', 'active');
      expect(after.completed).toBeLessThan(JOBS);
      expect(activeAtKill.length).toBeGreaterThan(0);

      const second = worker(redis.url);
      const out = join(dir, 'out.jsonl');
      await quiet(() => runResults(['--redis', redis.url, '--queue', 'batch', '--manifest', manifest, '--out', out, '--wait', '--poll-ms', '100']));
      second.child.kill('SIGTERM');
      expect(await second.exited, second.stderr()).toBe(0);
      expect(second.stderr()).toContain('stopped');

      expect(await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed')).toEqual({ completed: JOBS, failed: 0, active: 0, wait: 0, delayed: 0 });
      // The jobs held by the killed worker went back through the stalled-job check. One of them may have
      // finished in the milliseconds between listing the active jobs and the kill: it was not retried.
      let retried = 0;
      for (const id of activeAtKill) {
        const job = await queue.getJob(id);
        expect(job!.returnvalue).toBeDefined();
        if (job!.stalledCounter >= 1) retried += 1;
        else expect(job!.finishedOn, `job ${id} was neither retried nor finished before the kill`).toBeLessThanOrEqual(killedAt);
      }
      expect(retried).toBeGreaterThan(0);
      const written = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const lines = await readJobManifest(manifest);
      expect(written).toHaveLength(JOBS);
      expect(written.map((w) => w.image)).toEqual(lines.map((l) => l.image));
      const pipe = await ImageToText.fromPretrained(ref.dir);
      try {
        for (const i of [0, 1, 2, 3, ...activeAtKill.map((id) => lines.findIndex((l) => l.id === id))]) {
          const alone = await pipe.generate([lines[i]!.path], { maxNewTokens: 50, eosTokenId: null });
          expect(written[i].sequences[0].ids, lines[i]!.image).toEqual(alone.sequences[0]);
        }
      } finally {
        await pipe.dispose();
      }
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      await queue.close();
      connection.disconnect();
    }
  });
});
