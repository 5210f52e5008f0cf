/**
 * The processes `pnpm bench:serve` measures: `ved serve` (continuous
 * batching or `--no-batching`), the transformers.js server, `ved worker`s and
 * Redis; each started on a free loopback port and stopped with SIGTERM. Memory
 * is read from /proc (VmRSS, VmHWM), so every server is measured the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const VED_CLI = join(REPO_ROOT, 'packages/backend-node/dist/cli.js');
const TJS_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'transformers-js-server.js');

export interface Proc {
  name: string;
  child: ChildProcess;
  /** `http://127.0.0.1:PORT` for servers. */
  base: string;
  log(): string;
  /** Resident memory now and its peak, MiB. */
  memory(): { rssMb: number; peakMb: number };
  stop(): Promise<number | null>;
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** Starts a process and waits for `ready` to match its stderr (the match's group 1 is the base URL). */
function start(name: string, args: string[], ready: RegExp, timeoutMs = 600_000): Promise<Proc> {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return new Promise<Proc>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start in ${timeoutMs / 1000} s: ${log}`)), timeoutMs);
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = ready.exec(log);
      if (m) {
        clearTimeout(timer);
        ok({
          name,
          child,
          base: m[1] ?? '',
          log: () => log,
          memory: () => memoryOf(child.pid!),
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code}) before it was ready: ${log}`));
    });
  });
}

export function startVed(modelDir: string, threads: number, extra: string[] = []): Promise<Proc> {
  const name = extra.includes('--no-batching') ? 'ved serve --no-batching' : 'ved serve';
  return start(name, [VED_CLI, 'serve', '--model', modelDir, '--port', '0', '--threads', String(threads), '--max-new-tokens-cap', '1024', ...extra], /listening on (http:\/\/\S+)/);
}

export function startTransformersJs(modelDir: string, threads: number): Promise<Proc> {
  return start('transformers.js server', [TJS_SERVER, modelDir, '0', String(threads)], /listening on (http:\/\/\S+)/);
}

export function startWorker(modelDir: string, redisUrl: string, queue: string, threads: number, concurrency: number, extra: string[] = []): Promise<Proc> {
  return start(
    'ved worker',
    [VED_CLI, 'worker', '--redis', redisUrl, '--queue', queue, '--model', modelDir, '--threads', String(threads), '--concurrency', String(concurrency), '--max-batch', String(concurrency), ...extra],
    /ved worker: (running)/,
  );
}

/** Runs a `ved` command to completion; rejects with its stderr on failure. */
export function vedCommand(args: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [VED_CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`ved ${args[0]} failed (${code}): ${err}`))));
  });
}

export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ved-bench-redis-'));
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await new Promise((ok) => setTimeout(ok, 300));
  if (child.exitCode !== null) throw new Error('redis-server did not start (apt-get install -y redis-server)');
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
