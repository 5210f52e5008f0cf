/** Shared set-up of the browser test files: bundle, serve, launch, open the harness page. */
import { FIXTURES_DIR, startHubServer, type HubServer } from '@ved/conformance/hub-server';
import type { Page } from 'playwright-core';
import { buildPages, ORT_DIST } from './build.js';
import { launchChromium, type Launched } from './chromium.js';
import type { Harness } from './harness.js';

let pages: Promise<string> | undefined;

export interface Suite {
  server: HubServer;
  browser: Launched;
  page: Page;
  /** Calls `window.vedHarness[method](...args)` in the page. */
  call<K extends keyof Harness>(method: K, ...args: Parameters<Harness[K]>): Promise<Awaited<ReturnType<Harness[K]>>>;
  close(): Promise<void>;
}

export async function startServer(isolated: boolean): Promise<HubServer> {
  pages ??= buildPages();
  return startHubServer({ isolated, static: { '/page/': await pages, '/ort/': ORT_DIST, '/fixtures/': FIXTURES_DIR } });
}

export async function openSuite(options: { isolated: boolean; webgpu?: boolean }): Promise<Suite> {
  const server = await startServer(options.isolated);
  const browser = await launchChromium({ webgpu: options.webgpu ?? false });
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/page/harness.html`);
  await page.waitForFunction(() => 'vedHarness' in globalThis);
  const call = (async (method: string, ...args: unknown[]) => {
    try {
      return await page.evaluate(([m, a]) => (globalThis as any).vedHarness[m as string](...(a as unknown[])), [method, args] as const);
    } catch (error) {
      const seen = browser.errors.length > 0 ? `\nbrowser errors:\n${browser.errors.join('\n')}` : '';
      throw new Error(`${(error as Error).message}${seen}`);
    }
  }) as Suite['call'];
  return {
    server,
    browser,
    page,
    call,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
