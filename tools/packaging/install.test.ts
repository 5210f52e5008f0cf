/**
 * The packages as a new user gets them: the tarballs `pnpm pack` makes,
 * installed with npm in a scratch project outside the workspace
 * (`ONNXRUNTIME_NODE_INSTALL=skip`, as docs/install.md says where NuGet is
 * unreachable; the npm registry must be reachable for the third-party
 * dependencies), then
 *   - Node: `pipeline('image-to-text')` on the default model, `ved --version`,
 *     `ved caption`;
 *   - browser: a page importing `@ved/backend-web`, bundled by Vite from the
 *     installed packages and run in Chromium on the default model's files.
 * Needs `pnpm build` first. Takes about two minutes (npm install most of it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The browser suite's helpers (paths, not packages: tools/ has no package.json).
import { launchChromium } from '../../packages/backend-web/test/browser/chromium.js';
import { startHubServer } from '../../packages/conformance/src/hub-server.js';
import { REPO_ROOT, packAll, publicPackages } from './packages.js';

const VITE = '8.4.0'; // the version the workspace builds with
const EXAMPLE_TEXT = 'Invoice #2024-001';
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
let scratch: string;

function run(command: string, args: string[], timeout: number): string {
  const result = spawnSync(command, args, { cwd: scratch, env, encoding: 'utf8', timeout });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (status ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

beforeAll(() => {
  // Outside the workspace: nothing resolves from the repository's node_modules.
  scratch = mkdtempSync(join(tmpdir(), 'ved-install-'));
  const tarballs = packAll(publicPackages(), scratch);
  const dependencies = Object.fromEntries([...tarballs].map(([name, path]) => [name, `file:${path}`]));
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'ved-install-check', private: true, type: 'module', dependencies, devDependencies: { vite: VITE } }, null, 2),
  );
  cpSync(join(REPO_ROOT, 'tools/packaging/app'), scratch, { recursive: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], 600_000);
}, 660_000);
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('installed from the tarballs with npm', () => {
  it('resolves nothing from the workspace', () => {
    const where = execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('@ved/backend-node'))"], { cwd: scratch, encoding: 'utf8' });
    expect(where.trim()).toBe(`file://${join(scratch, 'node_modules/@ved/backend-node/dist/index.js')}`);
  });

  it("Node: pipeline('image-to-text') reads the default model's example; the ved binary runs", () => {
    expect(JSON.parse(run(process.execPath, ['caption.mjs'], 120_000))).toEqual([{ generated_text: EXAMPLE_TEXT }]);
    const version = JSON.parse(readFileSync(join(scratch, 'node_modules/@ved/backend-node/package.json'), 'utf8')).version as string;
    expect(run(join(scratch, 'node_modules/.bin/ved'), ['--version'], 60_000).trim()).toBe(version);
    const example = join(scratch, 'node_modules/@ved/default-model/examples/example.png');
    expect(run(join(scratch, 'node_modules/.bin/ved'), ['caption', example], 120_000)).toBe(`${example}\t${EXAMPLE_TEXT}\n`);
  }, 300_000);

  it('browser: Vite bundles a page importing @ved/backend-web, which captions in Chromium', async () => {
    run(join(scratch, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error', '--base', '/app/', '--outDir', 'dist', '--target', 'es2022'], 300_000);
    const server = await startHubServer({
      isolated: true,
      static: { '/app/': join(scratch, 'dist'), '/model/': join(scratch, 'node_modules/@ved/default-model/model'), '/images/': join(scratch, 'node_modules/@ved/default-model/examples') },
    });
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/app/index.html?model=/model&image=/images/example.png`);
      await page.waitForFunction(() => 'result' in window, undefined, { timeout: 120_000 });
      const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as { error?: string; result: unknown; report: { device: string } };
      expect(result.error).toBeUndefined();
      expect(result.report.device).toBe('wasm');
      expect(result.result).toEqual([{ generated_text: EXAMPLE_TEXT }]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 400_000);
});
