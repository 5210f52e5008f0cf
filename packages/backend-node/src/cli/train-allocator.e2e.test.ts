/**
 * `ved train` as a process under gperftools' tcmalloc (allocator.ts): the
 * built `dist/cli.js` starts a child under it with onnxruntime's arena off,
 * learns exactly what the system allocator learns, and a SIGINT to the `ved`
 * process reaches the child once, which saves the last complete update. CI
 * installs Debian's libtcmalloc-minimal4 (.ci/run).
 */
import { describe, expect, it, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';
import { findTcmalloc } from '../allocator.js';

const CLI = join(REPO_ROOT, 'packages/backend-node/dist/cli.js');
const MODEL = fixturePath('optim', 'train');
const MANIFEST = join(MODEL, 'manifest.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'ved-train-alloc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TRAIN = ['train', '--model', MODEL, '--manifest', MANIFEST, '--steps', '3', '--batch-size', '2', '--no-dropout', '--no-shuffle', '--json', '--verbose'];

function ved(args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` before the tests.`);
  return spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

const tcmalloc = findTcmalloc();

describe('ved train --allocator', () => {
  it('has tcmalloc to test with (Debian: apt install libtcmalloc-minimal4, as .ci/run does)', () => {
    expect(tcmalloc).toBeDefined();
  });

  it('auto trains under tcmalloc with the arena off, and learns what the system allocator learns', () => {
    const auto = ved([...TRAIN, '--out', join(tmp, 'auto')]);
    expect(auto.status, auto.stderr).toBe(0);
    expect(auto.stderr).toBe(`ved train: memory allocator tcmalloc (${tcmalloc}), onnxruntime's CPU arena off\n`);
    const system = ved([...TRAIN, '--out', join(tmp, 'system'), '--allocator', 'system']);
    expect(system.status, system.stderr).toBe(0);
    expect(system.stderr).toBe("ved train: memory allocator system, onnxruntime's CPU arena on\n");
    const steps = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));
    expect(steps(auto.stdout)).toHaveLength(3);
    expect(steps(auto.stdout)).toEqual(steps(system.stdout));
    expect(readFileSync(join(tmp, 'auto', 'model.safetensors'))).toEqual(readFileSync(join(tmp, 'system', 'model.safetensors')));
  });

  it('a SIGINT to the ved process reaches the child once: the last complete update is saved', async () => {
    const out = join(tmp, 'interrupted');
    const child = spawn(process.execPath, [CLI, ...TRAIN.map((a) => (a === '3' ? '100000' : a)), '--out', out], { cwd: REPO_ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // One Ctrl-C: a second one (sent if a step's line arrived before the first was handled) would end
      // the process the default way, as a second Ctrl-C does in a terminal.
      if (!sent && stdout.split('\n').length > 3) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/interrupted during step \d+; step \d+ is saved in/);
    const saved = JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8')).global_step;
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(stderr).toContain(`step ${saved} is saved`);
  });

  it('tcmalloc fails, naming the reason, where no child can be started under it', () => {
    const run = spawnSync(process.execPath, [CLI, ...TRAIN, '--out', join(tmp, 'refused'), '--allocator', 'tcmalloc'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, VED_PRELOAD_CHILD: '/nowhere/libtcmalloc_minimal.so.4' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error [INVALID_OPTION]: --allocator tcmalloc: this process runs under the system allocator');
    expect(existsSync(join(tmp, 'refused'))).toBe(false);
  });
});

describe('ved train as a process, with arguments only the Trainer refuses', () => {
  // Before, these were found when the Trainer was built — after the model loaded and the thread of the parallel
  // AdamW updates started, which then kept the process alive: the error was printed and ved never exited.
  it('exits at once with the error, before loading anything', () => {
    for (const extra of [['--optimizer', 'adagrad', '--optim-args', 'centered=True'], ['--schedule', 'reduce_lr_on_plateau']]) {
      const run = spawnSync(process.execPath, [CLI, ...TRAIN, '--out', join(tmp, 'bad-args'), ...extra], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(run.signal, `${extra.join(' ')}: still running after 60 s`).toBeNull();
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^ved train: error \[INVALID_OPTION\]: (optimArgs is \{"centered":true\}|lrSchedulerType is "reduce_lr_on_plateau")/);
      expect(existsSync(join(tmp, 'bad-args'))).toBe(false);
    }
  });
});
