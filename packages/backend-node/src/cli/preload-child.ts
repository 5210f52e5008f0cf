/**
 * Runs a `ved` command again in a child process with a shared library
 * preloaded: `ved train` under tcmalloc (../allocator.ts), since a process's
 * allocator is fixed when it starts. The child has its own process group, so a
 * Ctrl-C in the terminal reaches it once, forwarded by this process, as do
 * SIGTERM and SIGHUP; its exit code becomes this process's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preloadWith } from '../allocator.js';
import { ARGV_FILE_ENV, MAX_ARGV_BYTES } from './long-argv.js';

/** Set in the child's environment (the preloaded library): the child never starts another. */
export const PRELOAD_CHILD_ENV = 'VED_PRELOAD_CHILD';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Whether this process is the `ved` binary (not a program or test calling a command in process). */
export function isCliProcess(script: string | undefined = process.argv[1]): boolean {
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(CLI);
  } catch {
    return false;
  }
}

/** Runs `ved <command> ...args` with `library` preloaded; resolves to its exit code. */
export async function runPreloaded(library: string, command: string, args: readonly string[]): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LD_PRELOAD: preloadWith(library, process.env.LD_PRELOAD),
    [PRELOAD_CHILD_ENV]: library,
    // tcmalloc reports every allocation over 1 GiB on stderr unless told otherwise.
    TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD: process.env.TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD ?? String(2 ** 50),
  };
  let cliArgs = [command, ...args];
  let dir: string | undefined;
  if (cliArgs.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > MAX_ARGV_BYTES) {
    // A long command line crashes onnxruntime-node (long-argv.ts): hand it over in a file.
    dir = mkdtempSync(join(tmpdir(), 'ved-argv-'));
    const file = join(dir, 'argv.json');
    writeFileSync(file, JSON.stringify(cliArgs));
    env[ARGV_FILE_ENV] = file;
    cliArgs = [];
  }
  const child = spawn(process.execPath, [...process.execArgv, CLI, ...cliArgs], { stdio: 'inherit', env, detached: true });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const s of FORWARDED) process.removeListener(s, forward);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}
