import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGV_FILE_ENV, MAX_ARGV_BYTES, commandLine } from './long-argv.js';

describe('commandLine', () => {
  it('returns a short command line as it is', () => {
    expect(commandLine(['caption', 'a.png'], {})).toEqual(['caption', 'a.png']);
    expect(MAX_ARGV_BYTES).toBeLessThan(28_000);
  });

  it('reads (and removes) the arguments a parent ved handed over', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ved-argv-test-')), 'argv.json');
    writeFileSync(file, JSON.stringify(['eval', '--manifest', 'm.jsonl']));
    const env: NodeJS.ProcessEnv = { [ARGV_FILE_ENV]: file };
    expect(commandLine(['ignored'], env)).toEqual(['eval', '--manifest', 'm.jsonl']);
    expect(existsSync(file)).toBe(false);
    expect(env[ARGV_FILE_ENV]).toBeUndefined();
  });
});
