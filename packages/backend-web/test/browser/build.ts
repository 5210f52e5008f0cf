/**
 * Bundles the browser test page, the worker entry and the demo with esbuild
 * (from the TypeScript sources, through the `source` export condition) into
 * one directory that the test server serves at `/page/`.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const ORT_DIST = join(PACKAGE_DIR, 'node_modules', 'onnxruntime-web', 'dist');

export async function buildPages(outdir = mkdtempSync(join(tmpdir(), 'ved-web-page-'))): Promise<string> {
  await build({
    entryPoints: {
      harness: join(PACKAGE_DIR, 'test/browser/harness.ts'),
      worker: join(PACKAGE_DIR, 'src/worker.ts'),
      demo: join(PACKAGE_DIR, 'demo/demo.ts'),
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    sourcemap: 'linked',
    logLevel: 'error',
  });
  copyFileSync(join(PACKAGE_DIR, 'test/browser/harness.html'), join(outdir, 'harness.html'));
  copyFileSync(join(PACKAGE_DIR, 'demo/index.html'), join(outdir, 'index.html'));
  copyFileSync(join(PACKAGE_DIR, 'demo/demo.css'), join(outdir, 'demo.css'));
  return outdir;
}
