/**
 * A local HTTP server for tests (Node only): the fixture models in the hub's
 * URL layout (`/{owner}/{name}/resolve/{revision}/{file}`), with the headers
 * the Hugging Face hub sends (`X-Repo-Commit`, `ETag`; large files as a 302 to a
 * content-addressed URL on another origin, with `X-Linked-Etag`/`X-Linked-Size`
 * and CORS, as the hub's CDN), plus static
 * directories (pages, onnxruntime-web's files, raw fixtures). With
 * `isolated`, every response carries the COOP/COEP headers that make a page
 * cross-origin isolated (WASM threads).
 *
 * Repositories under `ved-test/`:
 * - `vit-gpt2-a`, `vit-gpt2-b`: fixtures/models/<name>;
 * - `vit-gpt2-a-sharded`: the same model, weights in 4 shards + index;
 * - `truncated`: model a, but `model.safetensors` stops halfway (full Content-Length);
 * - `server-error`: every file answers 500 with an `X-Error-Message`;
 * - `no-weights`: model a without its weights (404).
 * Every request is logged (`log`); `GET /__log` returns it, `POST /__log/reset` clears it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shardSafetensors } from './memory-files.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

export interface HubServerOptions {
  /** Send COOP/COEP/CORP headers (cross-origin isolation). */
  isolated?: boolean;
  /** URL prefix → directory, e.g. `{'/ort/': '…/onnxruntime-web/dist'}`. */
  static?: Record<string, string>;
  port?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  /** Bytes of body sent. */
  bytes: number;
}

export interface HubServer {
  readonly url: string;
  readonly log: LoggedRequest[];
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain',
};

const MODEL_FILES = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];

interface RepoFile {
  bytes: Uint8Array;
  /** Sent with a Content-Length this long but only `bytes` of body (truncation). */
  declaredLength?: number;
  status?: number;
}

type Repo = (file: string) => RepoFile | undefined;

function readModel(name: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const file of MODEL_FILES) files.set(file, new Uint8Array(readFileSync(join(FIXTURES_DIR, 'models', name, file))));
  return files;
}

function repos(): Map<string, { commit: string; get: Repo }> {
  const a = readModel('vit-gpt2-a');
  const b = readModel('vit-gpt2-b');
  const sharded = new Map([...a].filter(([f]) => f !== 'model.safetensors'));
  for (const [file, bytes] of shardSafetensors(a.get('model.safetensors')!, 100_000)) sharded.set(file, bytes);
  const weights = a.get('model.safetensors')!;
  const commit = (name: string) => createHash('sha1').update(name).digest('hex');
  const fromMap = (map: Map<string, Uint8Array>): Repo => (file) => (map.has(file) ? { bytes: map.get(file)! } : undefined);
  return new Map<string, { commit: string; get: Repo }>([
    ['ved-test/vit-gpt2-a', { commit: commit('a'), get: fromMap(a) }],
    ['ved-test/vit-gpt2-b', { commit: commit('b'), get: fromMap(b) }],
    ['ved-test/vit-gpt2-a-sharded', { commit: commit('sharded'), get: fromMap(sharded) }],
    [
      'ved-test/truncated',
      {
        commit: commit('truncated'),
        get: (file) =>
          file === 'model.safetensors' ? { bytes: weights.subarray(0, weights.length >> 1), declaredLength: weights.length } : fromMap(a)(file),
      },
    ],
    ['ved-test/server-error', { commit: commit('error'), get: () => ({ bytes: new TextEncoder().encode('internal error'), status: 500 }) }],
    ['ved-test/no-weights', { commit: commit('no-weights'), get: (file) => (file === 'model.safetensors' ? undefined : fromMap(a)(file)) }],
  ]);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const gitSha1 = (bytes: Uint8Array) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

/** Starts the server on 127.0.0.1 (a free port unless `port` is given). */
export async function startHubServer(options: HubServerOptions = {}): Promise<HubServer> {
  const table = repos();
  /** Content-addressed store for "LFS" files, as the hub's CDN. */
  const blobs = new Map<string, RepoFile>();
  const log: LoggedRequest[] = [];
  const statics = Object.entries(options.static ?? {}).sort((x, y) => y[0].length - x[0].length);

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const entry: LoggedRequest = { method: req.method ?? 'GET', path, status: 200, bytes: 0 };
    if (path !== '/__log' && path !== '/__log/reset') log.push(entry);
    const head = req.method === 'HEAD';
    if (options.isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    }
    res.setHeader('Cache-Control', 'no-store');
    const send = (status: number, body: Uint8Array, type: string, extra: Record<string, string> = {}, declared?: number) => {
      entry.status = status;
      res.statusCode = status;
      res.setHeader('Content-Type', type);
      res.setHeader('Content-Length', String(declared ?? body.length));
      for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
      if (head) return void res.end();
      entry.bytes = body.length;
      if (declared !== undefined && declared > body.length) {
        // Send part of the body, then drop the connection: a truncated download.
        res.write(body, () => setTimeout(() => res.destroy(), 20));
        return;
      }
      res.end(body);
    };
    const notFound = (extra: Record<string, string> = {}) =>
      send(404, new TextEncoder().encode(`not found: ${path}`), 'text/plain', { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found', ...extra });

    if (path === '/__log') return send(200, new TextEncoder().encode(JSON.stringify(log)), 'application/json');
    if (path === '/__log/reset') {
      log.length = 0;
      return send(200, new Uint8Array(0), 'text/plain');
    }

    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (cdn) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      const blob = blobs.get(cdn[1]!);
      if (blob === undefined) return notFound();
      return send(200, blob.bytes, 'application/octet-stream', {}, blob.declaredLength);
    }

    const hub = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (hub) {
      const [, repoId, , file] = hub;
      const repo = table.get(repoId!);
      if (repo === undefined) {
        return send(401, new TextEncoder().encode('Repository not found'), 'text/plain', {
          'X-Error-Code': 'RepositoryNotFound',
          'X-Error-Message': 'Repository not found',
        });
      }
      const found = repo.get(file!);
      if (found === undefined) return notFound({ 'X-Repo-Commit': repo.commit });
      if (found.status !== undefined) {
        return send(found.status, found.bytes, 'text/plain', { 'X-Error-Message': 'Simulated server failure' });
      }
      const size = String(found.declaredLength ?? found.bytes.length);
      if (file!.endsWith('.safetensors')) {
        // The hub answers large (LFS) files with a redirect to its CDN.
        const oid = sha256(found.bytes);
        blobs.set(oid, found);
        entry.status = 302;
        res.statusCode = 302;
        // Another origin (localhost, not 127.0.0.1), as the hub's CDN is: browsers fetch it
        // with CORS, and huggingface_hub reads the metadata from the redirect itself.
        res.setHeader('Location', `http://localhost:${port()}/cdn/${oid}`);
        res.setHeader('X-Repo-Commit', repo.commit);
        res.setHeader('X-Linked-Etag', `"${oid}"`);
        res.setHeader('X-Linked-Size', size);
        res.setHeader('ETag', `"${gitSha1(found.bytes)}"`);
        res.setHeader('Content-Length', '0');
        return void res.end();
      }
      const type = MIME[extname(file!)] ?? 'application/octet-stream';
      return send(200, found.bytes, type, { 'X-Repo-Commit': repo.commit, ETag: `"${gitSha1(found.bytes)}"` }, found.declaredLength);
    }

    for (const [prefix, dir] of statics) {
      if (!path.startsWith(prefix)) continue;
      const root = resolve(dir);
      const target = normalize(join(root, path.slice(prefix.length)));
      if (target !== root && !target.startsWith(root + sep)) return notFound();
      try {
        const file = statSync(target).isDirectory() ? join(target, 'index.html') : target;
        return send(200, new Uint8Array(readFileSync(file)), MIME[extname(file)] ?? 'application/octet-stream');
      } catch {
        return notFound();
      }
    }
    return notFound();
  };

  const server: Server = createServer(handler);
  const port = () => (server.address() as AddressInfo).port;
  await new Promise<void>((ok) => server.listen(options.port ?? 0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${port()}`,
    log,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
