/**
 * `ved enqueue`, `ved worker` (in process) and `ved results` on a real Redis
 * (Debian's redis-server on a free loopback port): idempotent enqueueing, the
 * pending count, results in manifest order equal to `ved caption --json` of
 * each image alone, a bad image ending failed with its code and listed, a
 * duplicate line answered by the same job.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageToText } from '../pipeline.js';
import { runEnqueue } from '../cli/enqueue.js';
import { runResults } from '../cli/results.js';
import { CaptionEngine } from '../serve/engine.js';
import { nougatPostProcess } from '@ved/core';
import { REPO_ROOT, fixturePath, loadModelReference } from '../test-utils/fixtures.js';
import { startRedis, type RedisForTest } from '../test-utils/redis-server.js';
import { connectRedis } from './connection.js';
import { openQueue, startWorker } from './jobs.js';
import { jobId, readJobManifest } from './manifest.js';

const ref = loadModelReference('vit-gpt2-a');

async function capture(run: () => Promise<void>): Promise<{ stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    await run();
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

describe('ved enqueue / worker / results', () => {
  let redis: RedisForTest;
  let dir: string;
  let manifest: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'ved-queue-'));
    writeFileSync(join(dir, 'not-an-image.png'), 'this is text, not a PNG');
    // Paths relative to the manifest and absolute; a blank line; a duplicate image; a bad image.
    const images = ref.json.images.map((p) => join(REPO_ROOT, p));
    manifest = join(dir, 'manifest.jsonl');
    writeFileSync(
      manifest,
      [
        JSON.stringify({ image: images[0], text: 'ignored' }),
        JSON.stringify({ image: images[1] }),
        '',
        JSON.stringify({ image: 'not-an-image.png' }),
        JSON.stringify({ image: images[2] }),
        JSON.stringify({ image: images[3] }),
        JSON.stringify({ image: images[0] }),
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('reads a manifest into lines with ids from the images\' absolute paths', async () => {
    const lines = await readJobManifest(manifest);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 4, 5, 6, 7]);
    expect(lines[2]!.path).toBe(join(dir, 'not-an-image.png'));
    expect(lines[2]!.id).toBe(jobId(join(dir, 'not-an-image.png')));
    expect(lines[0]!.id).toBe(lines[5]!.id);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"image": "a.png"}\n{"img": "b.png"}\n');
    await expect(readJobManifest(bad)).rejects.toThrow('line 2');
  });

  it('enqueues once, reports pending, and writes every result in manifest order after the worker ran', async () => {
    const config = JSON.stringify({ max_new_tokens: 9, num_beams: 2 });
    const first = await capture(() => runEnqueue(['--redis', redis.url, '--queue', 'q1', '--manifest', manifest, '--generation-config', config]));
    expect(first.stdout).toContain('5 jobs added');
    const again = await capture(() => runEnqueue(['--redis', redis.url, '--queue', 'q1', '--manifest', manifest, '--generation-config', config]));
    expect(again.stdout).toContain('0 jobs added');
    expect(again.stdout).toContain('5 already there');

    const out = join(dir, 'out.jsonl');
    const pending = await capture(() => runResults(['--redis', redis.url, '--queue', 'q1', '--manifest', manifest, '--out', out, '--json']));
    expect(JSON.parse(pending.stdout)).toEqual({ lines: 6, done: 0, failed: 0, pending: 6, written: false });

    const engine = await CaptionEngine.load(ref.dir, {}, { maxBatch: 16 });
    const connection = await connectRedis(redis.url, { persistent: true });
    const worker = startWorker('q1', connection, engine, { concurrency: 8, maxImagePixels: 1e8 });
    let collected: { stdout: string; stderr: string };
    try {
      collected = await capture(() => runResults(['--redis', redis.url, '--queue', 'q1', '--manifest', manifest, '--out', out, '--wait', '--poll-ms', '50', '--json']));
    } finally {
      await worker.close();
      await engine.close();
      connection.disconnect();
    }
    expect(JSON.parse(collected.stdout)).toEqual({ lines: 6, done: 5, failed: 1, pending: 0, written: true });
    expect(collected.stderr).toMatch(/line 4 \(not-an-image\.png\) failed: \[INVALID_IMAGE\]/);

    const written = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const lines = await readJobManifest(manifest);
    expect(written.map((w) => w.image)).toEqual(lines.map((l) => l.image));
    expect(written[2].error.code).toBe('INVALID_IMAGE');
    const pipe = await ImageToText.fromPretrained(ref.dir);
    try {
      for (const [i, w] of written.entries()) {
        if (i === 2) continue;
        const alone = await pipe.generate([lines[i]!.path], { maxNewTokens: 9, numBeams: 2, returnDictInGenerate: true, outputScores: true });
        expect(w.sequences.map((s: { ids: number[] }) => s.ids)).toEqual(alone.sequences);
        expect(w.sequences[0].text).toBe(alone.texts[0]);
        expect(Math.abs(w.sequences[0].score - alone.sequencesScores![0]!)).toBeLessThan(1e-4);
      }
    } finally {
      await pipe.dispose();
    }
    // A failing job fails at once (bad input is not retried).
    const connection2 = await connectRedis(redis.url);
    const queue = openQueue('q1', connection2);
    try {
      const failed = await queue.getJob(lines[2]!.id);
      expect(failed!.attemptsMade).toBe(1);
      expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 4, failed: 1 });
    } finally {
      await queue.close();
      connection2.disconnect();
    }
  });

  it('--post-process: a Nougat checkpoint\'s results carry "post_processed"; another checkpoint fails the jobs with INVALID_OPTION', async () => {
    const nougatManifest = join(dir, 'nougat.jsonl');
    writeFileSync(nougatManifest, ['rgb_17x53.png', 'rgb_64x20.png'].map((f) => JSON.stringify({ image: join(REPO_ROOT, 'fixtures', 'images', f) })).join('\n'));
    const run = async (queue: string, model: string) => {
      await capture(() => runEnqueue(['--redis', redis.url, '--queue', queue, '--manifest', nougatManifest, '--generation-config', '{"max_new_tokens": 6}', '--post-process']));
      const engine = await CaptionEngine.load(model, {}, { maxBatch: 4 });
      const connection = await connectRedis(redis.url, { persistent: true });
      const worker = startWorker(queue, connection, engine, { concurrency: 2, maxImagePixels: 1e8 });
      const out = join(dir, `${queue}.jsonl`);
      try {
        await capture(() => runResults(['--redis', redis.url, '--queue', queue, '--manifest', nougatManifest, '--out', out, '--wait', '--poll-ms', '50', '--json']));
      } finally {
        await worker.close();
        await engine.close();
        connection.disconnect();
      }
      return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    };
    const done = await run('nougat', fixturePath('decoders', 'nougat-mbart'));
    for (const line of done) for (const s of line.sequences) expect(s.post_processed).toBe(nougatPostProcess(s.text));
    const refused = await run('not-nougat', ref.dir);
    expect(refused.map((l) => l.error.code)).toEqual(['INVALID_OPTION', 'INVALID_OPTION']);
    await expect(runEnqueue(['--queue', 'q', '--manifest', nougatManifest, '--redis', redis.url, '--no-fix-markdown'])).rejects.toThrow('--no-fix-markdown needs --post-process');
  });

  it('refuses bad flags and an unreachable Redis with clear errors', async () => {
    await expect(runEnqueue(['--queue', 'q', '--manifest', manifest, '--redis', 'http://x'])).rejects.toThrow('redis://');
    await expect(runEnqueue(['--queue', 'q', '--manifest', manifest, '--generation-config', '{"num_beamz": 2}', '--redis', redis.url])).rejects.toThrow('num_beamz');
    await expect(runResults(['--queue', 'q', '--manifest', manifest, '--redis', redis.url])).rejects.toThrow('--out');
    await expect(runEnqueue(['--queue', 'q', '--manifest', manifest, '--redis', 'redis://127.0.0.1:1'])).rejects.toThrow('Cannot connect to Redis');
  });
});
