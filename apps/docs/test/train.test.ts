/**
 * End-to-end test of the site's training page (train.html) in headless
 * Chromium: the default model loads from the site into the training Web
 * Worker (`@ved/backend-web/training-worker`), the page draws the visitor's
 * lines (light on dark, which the model reads badly), reads them, fine-tunes
 * on them with AdamW in WebAssembly — every update's loss drawn as it comes,
 * falling — and reads them again, differently, with the fine-tuned weights.
 * The site is built without the API reference into a temporary folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, type Launched } from '../../../packages/backend-web/test/browser/chromium.js';
import { buildSite } from '../src/build/site.js';
import { serveStatic, type StaticServer } from '../src/build/static-server.js';
import { APP_DIR, REPO_ROOT } from './built-site.js';

const SCREENSHOTS = process.env.VED_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'ved-docs-train-'));
const out = mkdtempSync(join(tmpdir(), 'ved-docs-site-'));
let server: StaticServer;
let browser: Launched;

beforeAll(async () => {
  await buildSite({ repoRoot: REPO_ROOT, appDir: APP_DIR, out, api: false });
  server = await serveStatic(out, { isolated: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(out, { recursive: true, force: true });
});

describe('the training page', () => {
  it('fine-tunes the default model on the typed lines in a Web Worker: the loss falls and the readings change', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 1100 });
    // Record every loss the chart shows, from before the page's scripts run.
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { lossTexts: string[] }).lossTexts = seen;
      new MutationObserver(() => seen.push(document.getElementById('loss-text')?.textContent ?? '')).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(`${server.url}/train.html?steps=20&threads=2`);
    await page.waitForSelector('body[data-state=ready]', { timeout: 90_000 });
    expect(await page.locator('#runtime').textContent()).toContain('WebAssembly, 2 threads');

    await page.fill('#lines', 'Order 7713 shipped\nref: QX-91/B\nTOTAL $12.50\nMon 3 Feb');
    await page.click('#train');
    await page.waitForSelector('body[data-state=training]', { timeout: 90_000 });
    await page.waitForSelector('body[data-state=done]', { timeout: 240_000 });

    // Every update was drawn as it came, and the loss fell.
    const points = (await page.locator('#loss-line').getAttribute('points'))!.trim().split(' ');
    expect(points).toHaveLength(20);
    const shown = await page.evaluate(() => (window as unknown as { lossTexts: string[] }).lossTexts);
    const steps = [...new Set(shown.map((t) => /^step (\d+)\/20/.exec(t)?.[1]).filter(Boolean))];
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    const last = /loss ([\d.]+) \(first ([\d.]+)\)/.exec((await page.locator('#loss-text').textContent())!)!;
    expect(Number(last[1])).toBeLessThan(Number(last[2]) / 2);

    // The same lines read before and after: the readings changed, towards the targets.
    const rows = await page.locator('#readings tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(4);
    const before = rows.map((r) => r[2]!);
    const after = rows.map((r) => r[3]!);
    expect(after.every((t) => t !== '')).toBe(true);
    expect(after).not.toEqual(before);
    const distance = (a: string, b: string) => {
      let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
      for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
        prev = cur;
      }
      return prev[b.length]!;
    };
    const edits = (column: string[]) => column.reduce((sum, t, i) => sum + distance(t, rows[i]![1]!), 0);
    console.log(`training page: loss ${last[2]} → ${last[1]}; before ${JSON.stringify(before)} (${edits(before)} edits); after ${JSON.stringify(after)} (${edits(after)} edits)`);
    expect(edits(after)).toBeLessThan(edits(before));
    expect(browser.errors.filter((e) => e.startsWith('pageerror')), browser.errors.join('\n')).toEqual([]);

    const shot = join(SCREENSHOTS, 'train.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`training page: ${await page.locator('#status').textContent()}; screenshot ${shot}`);
    await page.close();
  });
});
