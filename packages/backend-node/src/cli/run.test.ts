/** The dispatcher: --version, help, <command> --help, exit codes, global flags, plugins. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../cli.js';
import { defineCommand } from './args.js';
import { cliVersion, runCli } from './run.js';
import { pluginList, resolvePlugin } from './plugins.js';

async function ved(argv: string[], env: Record<string, string | undefined> = {}, commands = COMMANDS) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, commands, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env });
  return { code, stdout, stderr };
}

describe('ved', () => {
  it('--version prints the package version', async () => {
    const run = await ved(['--version']);
    expect(run).toEqual({ code: 0, stdout: `${cliVersion()}\n`, stderr: '' });
    expect(cliVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('help, help <command> and <command> --help exit 0; no command exits 2', async () => {
    expect((await ved(['help'])).code).toBe(0);
    const caption = await ved(['help', 'caption']);
    expect(caption.code).toBe(0);
    expect(caption.stdout).toContain('--max-new-tokens N');
    expect(await ved(['caption', '--help'])).toEqual(caption);
    expect(await ved(['caption', 'x.png', '--bogus', '-h'])).toEqual(caption);
    expect((await ved([])).code).toBe(2);
    const unknown = await ved(['help', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nope"');
  });

  it('--max-new-tokens -1 says what is wrong with the value', async () => {
    const run = await ved(['caption', 'x.png', '--max-new-tokens', '-1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('ved caption: --max-new-tokens must be a positive integer (1 or more), got "-1"\n');
  });

  it('unknown commands and flags exit 2 with a pointer to help', async () => {
    const cmd = await ved(['captoin']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('see `ved help`');
    expect(cmd.stderr).toContain('unknown command "captoin" (did you mean caption?)');
    const flag = await ved(['eval', '--manifest', 'm', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('see `ved eval --help`');
    const typo = await ved(['caption', 'x.png', '--num-beam', '2']);
    expect(typo.stderr).toBe("ved caption: Unknown option '--num-beam' (did you mean --num-beams?); see `ved caption --help`\n");
  });
});

describe('plugins', () => {
  it('--plugin (before or after the command) and VED_PLUGINS load modules before the command runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ved-plugin-'));
    const log: string[] = [];
    (globalThis as Record<string, unknown>).__vedPluginLog = log;
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, `${name}.mjs`), `globalThis.__vedPluginLog.push(${JSON.stringify(name)});\n`);
    const probe = defineCommand({
      name: 'probe',
      summary: 'records that it ran',
      flags: {},
      async run() {
        log.push('run');
      },
    });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const run = await ved(['--plugin', './a.mjs', 'probe', '--plugin', './b.mjs'], { VED_PLUGINS: ' ./c.mjs, ./a.mjs' }, [probe]);
      expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(log).toEqual(['a', 'b', 'c', 'run']);
      const missing = await ved(['probe', '--plugin', 'ved-no-such-plugin'], {}, [probe]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('error [MISSING_PACKAGE]: Plugin "ved-no-such-plugin" not found');
    } finally {
      process.chdir(cwd);
      delete (globalThis as Record<string, unknown>).__vedPluginLog;
    }
  });

  it('lists flags then VED_PLUGINS without duplicates, and resolves packages and paths', () => {
    expect(pluginList(['x', './y.js'], 'z, x,,')).toEqual(['x', './y.js', 'z']);
    expect(resolvePlugin('./p.js', '/work')).toBe('file:///work/p.js');
    expect(resolvePlugin('@ved/core', process.cwd())).toMatch(/^file:.*core/);
    expect(resolvePlugin('ved-no-such-plugin', '/')).toBeUndefined();
  });
});
