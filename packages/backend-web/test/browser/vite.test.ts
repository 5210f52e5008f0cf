/**
 * A Vite app (test/browser/vite-app, written as docs/browser.md says) built
 * with Vite and run in a cross-origin isolated page: onnxruntime-web's files
 * from `?url` imports, WASM threads, and Python's greedy ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, defaultClientConditions } from 'vite';
import { FIXTURES_DIR, startHubServer, type HubServer } from '@ved/conformance/hub-server';
import { PACKAGE_DIR } from './build.js';
import { launchChromium, type Launched } from './chromium.js';

const reference = JSON.parse(readFileSync(join(FIXTURES_DIR, 'models/vit-gpt2-a/reference/reference.json'), 'utf8'));

describe('a Vite app', () => {
  let outDir: string;
  let server: HubServer;
  let browser: Launched;
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'ved-vite-'));
    await build({
      root: join(PACKAGE_DIR, 'test/browser/vite-app'),
      base: '/vite/',
      configFile: false,
      logLevel: 'error',
      // Workspace packages from their TypeScript sources, as the rest of the tests.
      resolve: { conditions: ['source', ...defaultClientConditions] },
      build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
      worker: { format: 'es' },
    });
    server = await startHubServer({ isolated: true, static: { '/vite/': outDir, '/fixtures/': FIXTURES_DIR } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('builds, starts WASM threads, and captions as Python on the main thread and in a Web Worker', async () => {
    const page = await browser.context.newPage();
    const query = new URLSearchParams({ model: 'ved-test/vit-gpt2-a', endpoint: server.url, maxNewTokens: String(reference.greedy.max_new_tokens) });
    for (const image of reference.images as string[]) query.append('image', `/${image}`);
    await page.goto(`${server.url}/vite/index.html?${query}`);
    await page.waitForFunction(() => 'result' in window, undefined, { timeout: 90_000 });
    const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
      error?: string;
      sequences: number[][];
      texts: string[];
      report: { numThreads: number; crossOriginIsolated: boolean; device: string };
      worker: { sequences: number[][]; report: { numThreads: number } };
    };
    expect(result.error).toBeUndefined();
    expect(result.report).toMatchObject({ device: 'wasm', crossOriginIsolated: true, numThreads: 2 });
    expect(result.sequences).toEqual(reference.greedy.sequences);
    expect(result.texts).toEqual(reference.greedy_text);
    expect(result.worker.sequences).toEqual(reference.greedy.sequences);
    expect(result.worker.report.numThreads).toBe(2);
    await page.close();
  });
});
