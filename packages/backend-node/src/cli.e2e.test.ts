/**
 * The `ved` binary as a user runs it (the built `dist/cli.js`; `pnpm build`
 * comes before `pnpm test` in the set-up): `ved caption --json` prints
 * Python's greedy ids.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, loadModelReference } from './test-utils/fixtures.js';

const CLI = join(REPO_ROOT, 'packages/backend-node/dist/cli.js');

function ved(args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` before the tests.`);
  return spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

describe('ved caption', () => {
  it('--json prints one line per image with Python\'s greedy ids, in order', () => {
    const ref = loadModelReference('vit-gpt2-a');
    const run = ved(['caption', ...ref.json.images, '--model', ref.dir, '--max-new-tokens', String(ref.json.greedy.max_new_tokens), '--batch-size', '3', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.image)).toEqual(ref.json.images);
    // Batches of 3 then 1: the padded width differs per batch, so compare each row up to its eos.
    lines.forEach((line, i) => {
      const expected = ref.json.greedy.sequences[i]!;
      const ids: number[] = line.sequences[0].ids;
      expect(ids).toEqual(expected.slice(0, ids.length));
      expect(line.sequences[0].text).toBe(ref.json.greedy_text[i]);
    });
  });

  it('whole batch at once gives exactly Python\'s padded sequences', () => {
    const ref = loadModelReference('vit-gpt2-a');
    const run = ved(['caption', ...ref.json.images, '--model', ref.dir, '--max-new-tokens', String(ref.json.greedy.max_new_tokens), '--json']);
    expect(run.status).toBe(0);
    const ids = run.stdout.trim().split('\n').map((l) => JSON.parse(l).sequences[0].ids);
    expect(ids).toEqual(ref.json.greedy.sequences);
  });

  it('fails clearly on a missing model and on bad flags', () => {
    const missing = ved(['caption', 'x.png', '--model', '/nonexistent/model']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('/nonexistent/model');
    const bad = ved(['caption', 'x.png', '--model', 'm', '--batch-size', 'zero']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--batch-size');
  });
});
