/**
 * `ved --plugin` / `VED_PLUGINS` with the built binary: a third-party module
 * registering an encoder under a new `model_type` lets `ved caption` run a
 * checkpoint that names it; without the plugin the same checkpoint is an
 * UNKNOWN_MODEL_TYPE error. Also `--version` and `<command> --help` exit 0.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';

const PKG = join(REPO_ROOT, 'packages/backend-node');
const CLI = join(PKG, 'dist/cli.js');

function ved(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` before the tests.`);
  return spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...options.env } });
}

let dir: string;
beforeAll(() => {
  // Inside the package, so that the plugin's `@ved/core` is the CLI's own (as in a user's project).
  const cache = join(PKG, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  dir = mkdtempSync(join(cache, 'ved-plugin-e2e-'));
  writeFileSync(
    join(dir, 'toy-plugin.mjs'),
    "import { getEncoder, registerEncoder } from '@ved/core';\nregisterEncoder({ ...(await getEncoder('vit')), modelType: 'toy-vit' });\n",
  );
  cpSync(fixturePath('models', 'vit-gpt2-a'), join(dir, 'model'), { recursive: true });
  const configPath = join(dir, 'model/config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.encoder.model_type = 'toy-vit';
  writeFileSync(configPath, JSON.stringify(config));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ved (built binary)', () => {
  it('--version and caption --help exit 0', () => {
    const version = ved(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version);
    const help = ved(['caption', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--num-beams N');
  });

  it('--plugin and VED_PLUGINS register an architecture before the command runs', () => {
    const image = join(REPO_ROOT, 'fixtures/images/rgb_40x30.png');
    const args = ['caption', image, '--model', 'model', '--max-new-tokens', '3'];
    const without = ved(args, { cwd: dir });
    expect(without.status).toBe(1);
    expect(without.stderr).toContain('Unknown encoder model_type "toy-vit"');
    const flag = ved(['--plugin', './toy-plugin.mjs', ...args], { cwd: dir });
    expect(flag.stderr).toBe('');
    expect(flag.status).toBe(0);
    expect(flag.stdout).toMatch(/rgb_40x30\.png\t/);
    const env = ved(args, { cwd: dir, env: { VED_PLUGINS: './toy-plugin.mjs' } });
    expect(env.status).toBe(0);
    expect(env.stdout).toBe(flag.stdout);
  });
});
