/**
 * A workaround for onnxruntime-node 1.30 (Linux): creating a session
 * overflows its native stack when the process's command line is longer than
 * about 28 kB, recursing once or twice per byte of it (seen in gdb: ~87 000
 * frames inside libonnxruntime for a 40 kB argument) — a segfault, exit 139,
 * for `ved caption scans/*.png` with ~700 files. The environment does not
 * trigger it, so a long command line is handed to a child `ved` through a
 * file named in an environment variable, and the child runs with a short one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Command lines longer than this (bytes of the arguments) are handed to a child process. */
export const MAX_ARGV_BYTES = 16 * 1024;
export const ARGV_FILE_ENV = 'VED_ARGV_FILE';

/**
 * The arguments to run: `argv` itself, those a parent `ved` handed over, or
 * undefined when this process handed them to a child (which ran the command;
 * its exit code is set on this process).
 */
export function commandLine(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const file = env[ARGV_FILE_ENV];
  if (file !== undefined) {
    delete env[ARGV_FILE_ENV];
    const args = JSON.parse(readFileSync(file, 'utf8')) as string[];
    rmSync(file, { force: true });
    return args;
  }
  const bytes = argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  if (bytes <= MAX_ARGV_BYTES) return [...argv];
  const dir = mkdtempSync(join(tmpdir(), 'ved-argv-'));
  try {
    const path = join(dir, 'argv.json');
    writeFileSync(path, JSON.stringify(argv));
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], { stdio: 'inherit', env: { ...env, [ARGV_FILE_ENV]: path } });
    process.exitCode = child.status ?? 1;
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
