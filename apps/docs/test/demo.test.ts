/**
 * End-to-end test of the built documentation site's live demo, in headless
 * Chromium (Debian's, through playwright-core and backend-web's launcher):
 * apps/docs/dist served on 127.0.0.1 with and without COOP/COEP, demo.html
 * loads the default model from the site with a progress bar, reads
 * packages/default-model/examples/example.png in its Web Worker, streaming
 * tokens, and shows the same text as ved on Node reads from the same model
 * folder; a screenshot shows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageToText } from '@ved/backend-node';
import { demoExample as defaultModelExample } from '../src/build/demo-model.js';
import { launchChromium, type Launched, type Page } from '../../../packages/backend-web/test/browser/chromium.js';
import { ORT_FILES, type DemoConfig } from '../src/build/demo-assets.js';
import { serveStatic, type StaticServer } from '../src/build/static-server.js';
import { builtSite } from './built-site.js';

const VIEWPORT = { width: 1280, height: 900 };
const SCREENSHOTS = process.env.VED_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'ved-docs-demo-'));

let dist: string;
let config: DemoConfig;
/** What ved on Node reads from the example with the model folder the site serves. */
let expected: string;

beforeAll(async () => {
  ({ dist, config } = await builtSite());
  const node = await ImageToText.fromPretrained(join(dist, config.model));
  try {
    // The page asks for greedy search (it streams tokens).
    expected = (await node.generate([defaultModelExample], { numBeams: 1 })).texts[0]!;
  } finally {
    await node.dispose();
  }
});

/** Records, from before the page's scripts run, every progress value and every caption text shown. */
async function watchPage(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen = { progress: [] as number[], captions: [] as string[] };
    (window as unknown as { seen: typeof seen }).seen = seen;
    new MutationObserver((records) => {
      for (const r of records) {
        const target = r.target instanceof Element ? r.target : r.target.parentElement;
        if (target instanceof HTMLProgressElement && r.attributeName === 'value') seen.progress.push(target.value);
        const caption = target?.closest('#caption');
        if (caption) seen.captions.push(caption.textContent ?? '');
      }
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['value'] });
  });
}

async function seen(page: Page): Promise<{ progress: number[]; captions: string[] }> {
  return page.evaluate(() => (window as unknown as { seen: { progress: number[]; captions: string[] } }).seen);
}

for (const isolated of [true, false]) {
  describe(`the live demo, served ${isolated ? 'with COOP/COEP (threads)' : 'without COOP/COEP (one thread)'}`, () => {
    let server: StaticServer;
    let browser: Launched;

    beforeAll(async () => {
      server = await serveStatic(dist, { isolated });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it(isolated ? 'reads the example picked with the file input as ved on Node does, streaming tokens, and the screenshot shows it' : 'reads the example from "Try the example" as ved on Node does', async () => {
      const page = await browser.context.newPage();
      await page.setViewportSize(VIEWPORT);
      await watchPage(page);
      await page.goto(`${server.url}/demo.html?threads=2`);
      await page.waitForSelector('body[data-state=ready]', { timeout: 90_000 });

      // The model came from the site, with a progress bar that moved and ended full.
      expect(await page.locator('#progress').evaluate((el) => (el as HTMLProgressElement).value)).toBe(1);
      const { progress } = await seen(page);
      expect(progress.some((v) => v > 0 && v < 1), `progress values: ${progress.join(', ')}`).toBe(true);
      const modelFiles = server.requests.filter((r) => r.method === 'GET' && r.path.startsWith(config.model.slice(1)));
      expect(modelFiles.map((r) => r.path)).toContain(`${config.model.slice(1)}model.safetensors`);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
      const runtime = await page.locator('#runtime').textContent();
      expect(runtime).toContain(isolated ? 'WebAssembly, 2 threads' : 'WebAssembly, 1 thread');

      if (isolated) await page.setInputFiles('#image', defaultModelExample);
      else await page.click('#try-example');
      await page.waitForSelector('body[data-state=done]', { timeout: 90_000 });

      const caption = page.locator('#caption');
      const text = await caption.textContent();
      expect(text?.trim()).not.toBe('');
      expect(text).toBe(expected);
      // Tokens appeared one step at a time before the final text.
      const { captions } = await seen(page);
      const shown = [...new Set(captions.filter((c) => c !== ''))];
      expect(shown.length, `caption texts shown: ${JSON.stringify(shown)}`).toBeGreaterThan(1);
      expect(shown.at(-1)).toBe(expected);

      // onnxruntime-web's files came from the site's ort/ folder (wasmPaths), as WebAssembly.
      for (const file of ORT_FILES) expect(server.requests.find((r) => r.path === `/ort/${file}`)?.status, file).toBe(200);
      const missing = server.requests.filter((r) => r.method === 'GET' && r.status !== 200);
      expect(missing, 'every file the page asked for is in the site').toEqual([]);
      expect(browser.errors.filter((e) => e.startsWith('pageerror')), browser.errors.join('\n')).toEqual([]);

      // The screenshot shows the caption: visible, inside the captured viewport, and its pixels are its text's.
      const shot = join(SCREENSHOTS, `demo-${isolated ? 'isolated' : 'plain'}.png`);
      await page.screenshot({ path: shot });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      expect(await caption.isVisible()).toBe(true);
      const box = (await caption.boundingBox())!;
      expect(box.width).toBeGreaterThan(0);
      expect(box.height).toBeGreaterThan(0);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORT.width);
      expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
      const withText = await page.screenshot({ clip: box });
      await caption.evaluate((el) => ((el as HTMLElement).style.color = 'transparent'));
      const withoutText = await page.screenshot({ clip: box });
      expect(withText.equals(withoutText), 'the caption area looks the same without its text').toBe(false);
      await page.close();
    });
  });
}
