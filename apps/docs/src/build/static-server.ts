/**
 * A small static file server for the built site: the MIME types onnxruntime-web
 * needs (`.mjs` as JavaScript, `.wasm` as application/wasm), `Content-Length`
 * (download progress), and, when `isolated`, the COOP/COEP headers that make
 * the page cross-origin isolated so WebAssembly can use threads. Used by
 * `pnpm --filter @ved/docs serve` and by the end-to-end test.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.woff2': 'font/woff2',
  '.safetensors': 'application/octet-stream',
};

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface ServedRequest {
  method: string;
  path: string;
  status: number;
}

export interface StaticServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** Every request answered so far. */
  requests: ServedRequest[];
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Send COOP/COEP (default true). */
  isolated?: boolean;
  port?: number;
  host?: string;
}

export async function serveStatic(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const { isolated = true, port = 0, host = '127.0.0.1' } = options;
  const base = normalize(root + sep);
  const requests: ServedRequest[] = [];
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    let path = '/';
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      // A malformed escape: answered 400 below.
    }
    const answer = (status: number, headers: Record<string, string | number> = {}) => {
      requests.push({ method, path, status });
      res.writeHead(status, { ...(isolated ? ISOLATION_HEADERS : {}), 'Cache-Control': 'no-cache', ...headers });
    };
    if (method !== 'GET' && method !== 'HEAD') {
      answer(405, { Allow: 'GET, HEAD' });
      return void res.end();
    }
    let file = normalize(join(base, path));
    if (!file.startsWith(base) && file + sep !== base) {
      answer(400);
      return void res.end();
    }
    let stat = statOrUndefined(file);
    if (stat?.isDirectory()) {
      file = join(file, 'index.html');
      stat = statOrUndefined(file);
    }
    if (stat === undefined || !stat.isFile()) {
      answer(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end(method === 'HEAD' ? undefined : `Not found: ${path}\n`);
    }
    answer(200, { 'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': stat.size });
    if (method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
