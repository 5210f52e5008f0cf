/**
 * The built site the tests look at: apps/docs/dist, built first when it is
 * missing or when its copy of the default model is not the checkpoint in
 * packages/default-model (which is being retrained), so that a test never
 * judges an old build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoModelDir } from '../src/build/demo-model.js';
import { hashFolder, type DemoConfig } from '../src/build/demo-assets.js';
import { buildSite } from '../src/build/site.js';

export const APP_DIR = fileURLToPath(new URL('../', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DIST = join(APP_DIR, 'dist');

/** The `<script id="demo-config">` of a built demo.html. */
export function readDemoConfig(dist = DIST): DemoConfig | undefined {
  const file = join(dist, 'demo.html');
  if (!existsSync(file)) return undefined;
  const json = /<script type="application\/json" id="demo-config">(.*?)<\/script>/s.exec(readFileSync(file, 'utf8'))?.[1];
  return json === undefined ? undefined : (JSON.parse(json) as DemoConfig);
}

function isCurrent(config: DemoConfig | undefined): config is DemoConfig {
  return config !== undefined && existsSync(join(DIST, 'api', 'index.html')) && config.model.includes(`default-${hashFolder(demoModelDir).slice(0, 12)}/`);
}

/** apps/docs/dist, current; built (as `pnpm --filter @ved/docs build` does) when it is not. */
export async function builtSite(): Promise<{ dist: string; config: DemoConfig }> {
  let config = readDemoConfig();
  if (!isCurrent(config)) {
    await buildSite({ repoRoot: REPO_ROOT, appDir: APP_DIR, out: DIST });
    config = readDemoConfig();
    if (config === undefined) throw new Error(`Building the site wrote no ${join(DIST, 'demo.html')} with a demo config.`);
  }
  return { dist: DIST, config };
}
