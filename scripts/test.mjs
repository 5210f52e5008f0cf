#!/usr/bin/env node
// Runs the whole test suite (vitest over every package) and prints the plain
// closing line `tests: N passed, N failed, N skipped` that CI reads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(mkdtempSync(join(tmpdir(), 'ved-test-')), 'vitest.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const run = spawnSync('pnpm', ['exec', ...args], { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } });

let passed = 0, failed = 0, skipped = 0;
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests;
  // A file that fails to load has no failed tests but a failed suite.
  failed = report.numFailedTests || report.numFailedTestSuites || 0;
  skipped = report.numPendingTests + report.numTodoTests;
} catch {
  failed += 1;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
