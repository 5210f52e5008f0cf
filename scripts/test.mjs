#!/usr/bin/env node
// Runs the test suites and prints the one plain closing line
// `tests: N passed, N failed, N skipped` that CI reads, counting both:
//   - the vitest suite over every package (Node, with the packaging tests in tools/packaging), and
//   - the browser suite (packages/backend-web/test/browser and apps/docs/test: headless Chromium).
// `--suite node` or `--suite browser` runs one of them; other arguments go to vitest.
//
// Both suites drive Chromium (the browser suite, and the packaging test's Vite page). Before any test runs,
// Chromium is found (CHROMIUM_PATH, /usr/bin/chromium, or `chromium` on PATH) or installed: Debian's
// package through apt-get when this runs as root and apt-get exists; otherwise the script stops at once
// with the one command to run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureChromium, ensureDebianPackage } from './chromium.mjs';

// Each suite is one or more vitest runs (their configs).
const SUITES = {
  node: [[]],
  browser: [
    ['--config', 'packages/backend-web/vitest.browser.config.ts'],
    ['--config', 'apps/docs/vitest.browser.config.ts'], // the docs site and its live demo
  ],
};

const argv = process.argv.slice(2);
const at = argv.indexOf('--suite');
const only = at === -1 ? undefined : argv[at + 1];
if (at !== -1) argv.splice(at, 2);
if (only !== undefined && !(only in SUITES)) {
  console.error(`--suite must be one of ${Object.keys(SUITES).join(', ')}, got ${JSON.stringify(only)}`);
  process.exit(2);
}

const chromium = ensureChromium();
const missing = [
  chromium,
  ensureDebianPackage('redis-server', (s) => s.exists('/usr/bin/redis-server'), 'the queue tests start it'),
  ensureDebianPackage('libtcmalloc-minimal4', () => hasLibrary('libtcmalloc_minimal.so.4'), '`ved train` runs under tcmalloc'),
].filter((r) => r.error);
if (missing.length > 0) {
  for (const r of missing) console.error(r.error);
  console.log('tests: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
/** Whether the dynamic linker knows a shared library (`ldconfig -p`). */
function hasLibrary(name) {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.includes(name);
  return spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).stdout?.includes(name) ?? false;
}

const dir = mkdtempSync(join(tmpdir(), 'ved-test-'));
// The CLI caches onnxruntime's optimized sessions; the tests keep theirs in the run's own folder
// rather than the user's ~/.cache/ved (a VED_CACHE_DIR already set is kept).
const env = { ...process.env, NO_COLOR: '1', CHROMIUM_PATH: chromium.path, VED_CACHE_DIR: process.env.VED_CACHE_DIR ?? join(dir, 'cache') };
let passed = 0, failed = 0, skipped = 0, ok = true;
for (const [name, config, i] of Object.entries(SUITES).flatMap(([name, configs]) => configs.map((config, i) => [name, config, i]))) {
  if (only !== undefined && only !== name) continue;
  const out = join(dir, `${name}-${i}.json`);
  const args = ['vitest', 'run', ...config, '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...argv];
  const run = spawnSync('pnpm', ['exec', ...args], { stdio: 'inherit', env });
  if (run.status !== 0) ok = false;
  try {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    passed += report.numPassedTests;
    // A file that fails to load has no failed tests but a failed suite.
    failed += report.numFailedTests || report.numFailedTestSuites || 0;
    skipped += report.numPendingTests + report.numTodoTests;
  } catch {
    failed += 1;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
