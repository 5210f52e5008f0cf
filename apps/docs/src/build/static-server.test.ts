import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic, type StaticServer } from './static-server.js';

function site(): string {
  const parent = mkdtempSync(join(tmpdir(), 'ved-docs-serve-'));
  writeFileSync(join(parent, 'secret.txt'), 'not for the web');
  const root = join(parent, 'site');
  mkdirSync(join(root, 'ort'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><p>hi</p>');
  writeFileSync(join(root, 'ort', 'x.wasm'), Buffer.from([0, 97, 115, 109]));
  writeFileSync(join(root, 'ort', 'x.mjs'), 'export {};');
  return root;
}

/** A raw request, so that `..` reaches the server as written. */
function get(server: StaticServer, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/`, { method, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let server: StaticServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the static server of the site', () => {
  it('serves .wasm and .mjs with the MIME types onnxruntime-web needs, with Content-Length and COOP/COEP', async () => {
    server = await serveStatic(site());
    const wasm = await get(server, '/ort/x.wasm');
    expect(wasm.status).toBe(200);
    expect(wasm.headers).toMatchObject({ 'content-type': 'application/wasm', 'content-length': '4', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    expect((await get(server, '/ort/x.mjs')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    const index = await get(server, '/');
    expect(index.body).toContain('<p>hi</p>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    const head = await get(server, '/ort/x.wasm', 'HEAD');
    expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', '4']);
  });

  it('leaves COOP/COEP out when not isolated, answers 404 for a missing file and never leaves its folder', async () => {
    server = await serveStatic(site(), { isolated: false });
    const page = await get(server, '/index.html');
    expect(page.headers['cross-origin-opener-policy']).toBeUndefined();
    expect((await get(server, '/nope.html')).status).toBe(404);
    // `..` segments are resolved by URL parsing; an encoded `../` is refused.
    expect((await get(server, '/../secret.txt')).status).toBe(404);
    expect((await get(server, '/%2e%2e%2fsecret.txt')).status).toBe(400);
    expect((await get(server, '/index.html', 'POST')).status).toBe(405);
    expect(server.requests.map((r) => r.status)).toEqual([200, 404, 404, 400, 405]);
  });
});
