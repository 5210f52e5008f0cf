#!/usr/bin/env node
/**
 * `pnpm --filter @ved/docs serve`: serves the built site on 127.0.0.1, cross-origin
 * isolated (WebAssembly threads). `--port N` (default 8080), `--no-isolation`
 * (one thread, as on a host that cannot send COOP/COEP), `--dir DIR`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './static-server.js';

const argv = process.argv.slice(2);
const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const dir = value('--dir') ?? fileURLToPath(new URL('../../dist', import.meta.url));
const port = Number(value('--port') ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${JSON.stringify(value('--port'))}`);
  process.exit(2);
}
if (!existsSync(join(dir, 'index.html'))) {
  console.error(`${dir} has no index.html: build the site first (pnpm --filter @ved/docs build).`);
  process.exit(1);
}
const isolated = !argv.includes('--no-isolation');
const server = await serveStatic(dir, { port, isolated });
console.log(`Serving ${dir} at ${server.url}/ (${isolated ? 'cross-origin isolated: WebAssembly threads' : 'not isolated: one thread'}). Demo: ${server.url}/demo.html`);
