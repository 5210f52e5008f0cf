#!/usr/bin/env node
/**
 * `pnpm --filter @ved/docs build`: builds the documentation site into
 * apps/docs/dist. `--out DIR` writes elsewhere; `--no-api` skips the API
 * reference (faster while editing the guides).
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSite } from './site.js';

const APP_DIR = fileURLToPath(new URL('../../', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const out = outAt === -1 ? `${APP_DIR}dist` : argv[outAt + 1];
if (out === undefined) {
  console.error('--out needs a folder');
  process.exit(2);
}

const started = performance.now();
const report = await buildSite({ repoRoot: REPO_ROOT, appDir: APP_DIR, out, api: !argv.includes('--no-api') });
for (const warning of report.warnings) console.warn(`warning: ${warning}`);
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const bundle = Object.entries(report.bundle).filter(([f]) => /\/(demo|worker)\.js$/.test(f));
console.log(
  `docs: ${report.pages.length} pages${argv.includes('--no-api') ? '' : ' + API reference'} in ${relative(process.cwd(), out) || '.'} ` +
    `(${Math.round(performance.now() - started)} ms; ${Object.entries(report.timings).map(([k, v]) => `${k} ${v} ms`).join(', ')}); ` +
    `demo model ${report.demo.model}; ${bundle.map(([f, n]) => `${f.split('/').pop()} ${kib(n)}`).join(', ')}`,
);
