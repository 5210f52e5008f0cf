/**
 * The Web Worker entry and the demo page in Chromium: a model loads and
 * captions off the main thread, posting progress and streamed tokens back;
 * the demo page (a URL field, a file picker, a progress bar, a caption that
 * grows token by token) captions a fixture image as Python does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beamCases } from '@ved/conformance';
import { FIXTURES_DIR } from '@ved/conformance/hub-server';
import { openSuite, type Suite } from './suite.js';

const reference = JSON.parse(readFileSync(join(FIXTURES_DIR, 'models/vit-gpt2-a/reference/reference.json'), 'utf8'));
const IMAGES = (reference.images as string[]).map((p) => p.replace(/^fixtures\//, ''));

for (const isolated of [true, false]) {
  describe(`the Web Worker entry, ${isolated ? 'cross-origin isolated' : 'not isolated'}`, () => {
    let suite: Suite;
    beforeAll(async () => {
      suite = await openSuite({ isolated });
    });
    afterAll(() => suite?.close());

    it('captions off the main thread with progress, streamed tokens, Python\'s greedy and beam ids, and errors passed back', async () => {
      const beam = beamCases('vit-gpt2-a').find((c) => c.options.numBeams === 3 && c.options.numReturnSequences === undefined)!;
      const out = await suite.call('workerCaption', 'ved-test/vit-gpt2-a', IMAGES, { maxNewTokens: 12, numThreads: 2, numBeams: 3 });
      expect(out.report).toMatchObject({ device: 'wasm', crossOriginIsolated: isolated, numThreads: isolated ? 2 : 1 });
      expect(out.result.sequences).toEqual(reference.greedy.sequences);
      expect(out.result.texts).toEqual(reference.greedy_text);
      expect(out.beam!.sequences).toEqual(beam.sequences);
      // One event per generated step, with every row's token, in order.
      const events = out.tokens as Array<{ step: number; tokens: number[]; texts: string[] }>;
      const steps = reference.greedy.sequences[0].length - 1;
      expect(events.map((e) => e.step)).toEqual([...Array(steps).keys()]);
      events.forEach((e, t) => expect(e.tokens).toEqual(reference.greedy.sequences.map((row: number[]) => row[t + 1])));
      expect(events.at(-1)!.texts).toEqual(reference.greedy_text);
      expect(out.progress.some((p) => p.file === 'model.safetensors' && p.done)).toBe(true);
      expect(out.error).toMatchObject({ code: 'FILE_NOT_FOUND' });
      expect(out.error!.message).toContain('missing.png');
      // The page's own timer kept running while the worker worked.
      expect(out.ticks).toBeGreaterThan(5);
    });
  });
}

describe('streaming on the main thread', () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await openSuite({ isolated: false });
    await suite.call('setup', {});
  });
  afterAll(() => suite?.close());

  it('onToken sees every step of every row, ending with Python\'s text; beams asked in the call arrive after the search; stream() yields the same', async () => {
    const ref = JSON.parse(readFileSync(join(FIXTURES_DIR, 'models/vit-gpt2-b/reference/reference.json'), 'utf8'));
    const images = (ref.images as string[]).map((p) => p.replace(/^fixtures\//, ''));
    const out = await suite.call('stream', 'ved-test/vit-gpt2-b', images, ref.greedy.max_new_tokens);
    expect(out.result.sequences).toEqual(ref.greedy.sequences);
    const events = out.events as Array<{ step: number; tokens: number[]; texts: string[] }>;
    expect(events.map((e) => e.tokens)).toEqual(ref.greedy.sequences[0].slice(1).map((_: number, t: number) => ref.greedy.sequences.map((row: number[]) => row[t + 1])));
    expect(events.at(-1)!.texts).toEqual(ref.greedy_text);
    expect(out.beamError).toMatchObject({ code: 'INVALID_OPTION' });
    expect(out.beamError!.message).toMatch(/`streamer` cannot be used with beam search/);
    const beamEvents = out.beamEvents as Array<{ texts: string[] }>;
    expect(beamEvents.length).toBe(out.beams.sequences[0]!.length - 1);
    expect(beamEvents.at(-1)!.texts).toEqual(out.beams.texts);
    const chunks = out.chunks as Array<{ text?: string[] }>;
    expect(out.streamed.sequences).toEqual(ref.greedy.sequences);
    expect(ref.greedy_text.map((_: string, r: number) => chunks.map((c) => c.text?.[r] ?? '').join(''))).toEqual(ref.greedy_text);
  });
});

describe('the demo page', () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await openSuite({ isolated: true });
  });
  afterAll(() => suite?.close());

  it('loads a model from a URL with a progress bar, then captions a picked image token by token', async () => {
    const page = await suite.browser.context.newPage();
    const url = suite.server.url;
    await page.goto(`${url}/page/index.html?model=ved-test/vit-gpt2-a&endpoint=${encodeURIComponent(url)}&ort=/ort/&maxNewTokens=${reference.greedy.max_new_tokens}`);
    await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
    expect(await page.locator('#progress').evaluate((el) => (el as HTMLProgressElement).value)).toBe(1);
    expect(await page.locator('#runtime').textContent()).toContain('wasm');
    // Count how often the caption changes: tokens appear one by one.
    await page.evaluate(() => {
      const w = window as unknown as { captionUpdates: number };
      w.captionUpdates = 0;
      new MutationObserver(() => w.captionUpdates++).observe(document.getElementById('caption')!, { childList: true, characterData: true, subtree: true });
    });
    await page.setInputFiles('#image', join(FIXTURES_DIR, IMAGES[0]!));
    await page.waitForSelector('body[data-state=done]', { timeout: 60_000 });
    expect(await page.locator('#caption').textContent()).toBe(reference.greedy_text[0]);
    expect(await page.evaluate(() => (window as unknown as { captionUpdates: number }).captionUpdates)).toBeGreaterThan(3);
    const shot = join(process.env.VED_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'ved-demo-')), 'demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(5000);
    await page.close();
  });
});
