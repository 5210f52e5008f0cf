/**
 * Debian's Chromium driven by playwright-core (no browser download): the
 * binary from `CHROMIUM_PATH` or /usr/bin/chromium, the flags of
 * toolchain.md, a fresh profile per launch.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_FLAGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Launched {
  context: BrowserContext;
  close(): Promise<void>;
  /** Console errors and page errors seen so far (for failure messages). */
  errors: string[];
}

/**
 * Launches headless Chromium. `webgpu` drops `--disable-gpu` and enables
 * WebGPU, so that Chromium offers its software (SwiftShader) adapter.
 */
export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Launched> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'ved-chromium-'));
  const flags = options.webgpu ? [...BASE_FLAGS, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'] : [...BASE_FLAGS, '--disable-gpu'];
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: flags });
  const errors: string[] = [];
  context.on('page', (page) => watch(page, errors));
  for (const page of context.pages()) watch(page, errors);
  return {
    context,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function watch(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
}

export type { Browser, Page };
