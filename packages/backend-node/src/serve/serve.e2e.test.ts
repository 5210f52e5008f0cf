/**
 * `ved serve` as a user runs it (the built `dist/cli.js`, or `VED_CLI`), on a
 * tiny fixture model: 1000 requests leave the resident memory flat, and
 * SIGTERM stops taking connections, finishes the request in flight and exits 0.
 */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT, loadModelReference } from '../test-utils/fixtures.js';

const CLI = process.env.VED_CLI ?? join(REPO_ROOT, 'packages/backend-node/dist/cli.js');
const ref = loadModelReference('vit-gpt2-a');
const images = ref.json.images.map((p) => readFileSync(join(REPO_ROOT, p)));

async function serve(args: string[]): Promise<{ child: ChildProcess; base: string; stderr: () => string; exited: Promise<number | null> }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` before the tests.`);
  const child = spawn(process.execPath, [CLI, 'serve', '--model', ref.dir, '--port', '0', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`ved serve exited (${code}): ${err}`)));
  });
  return { child, base, stderr: () => err, exited };
}

function post(base: string, path: string, body: Buffer, agent?: Agent, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method: 'POST', agent, headers: { 'content-type': 'image/png', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function rss(base: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    httpRequest(new URL('/metrics', base), (res) => {
      let t = '';
      res.on('data', (c: Buffer) => (t += c.toString()));
      res.on('end', () => resolve(t));
    })
      .on('error', reject)
      .end();
  });
  return Number(/^ved_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}

describe('ved serve process', () => {
  it('answers 1000 requests with flat memory, once warm', { timeout: 180_000 }, async () => {
    const server = await serve(['--max-batch', '8']);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      let sent = 0;
      const statuses = new Map<number, number>();
      const run = async (until: number) => {
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (sent < until) {
              const i = sent++;
              // PNG images only (the JPEG goes as image/jpeg).
              const k = i % images.length;
              const type = ref.json.images[k]!.endsWith('.jpg') ? 'image/jpeg' : 'image/png';
              const res = await post(server.base, `/v1/caption?max_new_tokens=${4 + (i % 9)}${i % 5 === 0 ? '&num_beams=2' : ''}`, images[k]!, agent, { 'content-type': type });
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            }
          }),
        );
      };
      // Warm-up: RSS climbs over the first ~2000 requests of this mix, then stays (measured, RSS over the
      // 200th request's: +22–31 MiB at 1000, +40–60 at 2000, +39–53 at 3000, +39–53 at 4000), as onnxruntime's
      // and glibc's pools settle and the runs' output buffers wait for V8's collector. Measured after 200,
      // the check failed one CI run (+35.3 MiB against 32) and read +22.5 to +31.2 in five local runs.
      await run(2000);
      const warm = await rss(server.base);
      await run(3000);
      const end = await rss(server.base);
      expect(Object.fromEntries(statuses)).toEqual({ 200: 3000 });
      // Flat: 1000 more requests leave RSS where the warm server had it.
      expect(end - warm, `RSS ${warm} -> ${end}`).toBeLessThan(Math.max(32 * 1024 * 1024, warm * 0.15));
    } finally {
      agent.destroy();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('SIGTERM: finishes the request in flight, takes no new connection, exits 0', { timeout: 60_000 }, async () => {
    const server = await serve([]);
    // A long request: wait for its first streamed token, then ask the server to stop.
    const inFlight = new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        new URL('/v1/caption?max_new_tokens=50&eos_token_id=null', server.base),
        { method: 'POST', headers: { 'content-type': 'image/png', accept: 'text/event-stream' } },
        (res) => {
          let text = '';
          let signalled = false;
          res.on('data', (c: Buffer) => {
            text += c.toString();
            if (!signalled && text.includes('event: token')) {
              signalled = true;
              server.child.kill('SIGTERM');
            }
          });
          res.on('end', () => resolve(text));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(images[0]);
    });
    const body = await inFlight;
    const done = /event: done\ndata: (.*)\n/.exec(body);
    expect(done, body.slice(-300)).not.toBeNull();
    expect(JSON.parse(done![1]!).sequences[0].ids).toHaveLength(51);
    expect(await server.exited, server.stderr()).toBe(0);
    expect(server.stderr()).toContain('stopped');
    await expect(post(server.base, '/v1/caption', images[0]!)).rejects.toThrow(/ECONNREFUSED/);
  });
});
