/**
 * HttpFiles on Node's fetch against a local server: URL layout, progress,
 * caches, offline mode, and a clear error for each way a download fails.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWeights } from '../../model/weights-loader.js';
import { serializeSafetensors } from '../../safetensors/writer.js';
import { planShards, serializeShardIndex } from '../../safetensors/shard-plan.js';
import { HttpError } from './http-error.js';
import { HttpFiles } from './http-files.js';
import { fileUrl, isRepoId, resolveModelLocation } from './location.js';
import type { CacheRequest, ModelCache } from './model-cache.js';
import type { DownloadProgress } from './download.js';

const enc = new TextEncoder();
const weights = serializeSafetensors([
  { name: 'a', dtype: 'F32', shape: [4], data: Float32Array.from([1, 2, 3, 4]) },
  { name: 'b', dtype: 'F32', shape: [2], data: Float32Array.from([5, 6]) },
]);
const plan = planShards([{ name: 'a', dtype: 'F32', shape: [4] }, { name: 'b', dtype: 'F32', shape: [2] }], 16);
const shardFiles = new Map<string, Uint8Array>([
  ['model.safetensors.index.json', enc.encode(serializeShardIndex(plan))],
  ['model-00001-of-00002.safetensors', serializeSafetensors([{ name: 'a', dtype: 'F32', shape: [4], data: Float32Array.from([1, 2, 3, 4]) }])],
  ['model-00002-of-00002.safetensors', serializeSafetensors([{ name: 'b', dtype: 'F32', shape: [2], data: Float32Array.from([5, 6]) }])],
]);
const big = new Uint8Array(200_000).map((_, i) => i % 251);

let server: Server;
let base: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const raw = new URL(req.url!, 'http://x').pathname;
    const path = decodeURIComponent(raw);
    requests.push(`${req.method} ${path}`);
    const send = (status: number, body: Uint8Array, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-length': String(body.length), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const m = /^\/(org\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(raw);
    if (!m) return send(404, enc.encode('no'));
    const [repo, revision, file] = m.slice(1).map((part) => decodeURIComponent(part!));
    if (repo === 'org/plain' && revision === 'main') {
      if (file === 'config.json') return send(200, enc.encode('{"ok":true}'));
      if (file === 'model.safetensors') return send(200, weights);
      if (file === 'big.bin') return send(200, big);
      if (file === 'dir/with space.json') return send(200, enc.encode('[1]'));
      return send(404, enc.encode('Entry not found'), { 'x-error-message': 'Entry not found' });
    }
    if (repo === 'org/sharded') {
      const bytes = shardFiles.get(file!);
      return bytes ? send(200, bytes) : send(404, enc.encode('no'));
    }
    if (repo === 'org/nohead') {
      if (req.method === 'HEAD') return send(405, new Uint8Array(0));
      return file === 'config.json' ? send(200, enc.encode('{}')) : send(404, enc.encode('no'));
    }
    if (repo === 'org/cut' && file === 'big.bin') {
      res.writeHead(200, { 'content-length': String(big.length) });
      if (req.method === 'HEAD') return res.end();
      res.write(big.subarray(0, 50_000), () => setTimeout(() => res.destroy(), 10));
      return;
    }
    if (repo === 'org/broken') return send(503, enc.encode('down'), { 'x-error-message': 'Service unavailable for maintenance' });
    if (repo === 'org/private') return send(401, enc.encode('auth'));
    if (repo === 'org/pr' && revision === 'refs/pr/1' && file === 'config.json') return send(200, enc.encode('{"pr":1}'));
    return send(404, enc.encode('no'));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

class MemoryCache implements ModelCache {
  readonly description = 'a test cache';
  readonly store = new Map<string, Uint8Array>();
  readonly missing = new Set<string>();
  async has(r: CacheRequest) {
    return this.store.has(r.url);
  }
  async match(r: CacheRequest) {
    return this.store.get(r.url);
  }
  async put(r: CacheRequest, bytes: Uint8Array) {
    this.store.set(r.url, bytes);
  }
  async isKnownMissing(r: CacheRequest) {
    return this.missing.has(r.url);
  }
  async putMissing(r: CacheRequest) {
    this.missing.add(r.url);
  }
}

async function failure(p: Promise<unknown>): Promise<HttpError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe('model locations', () => {
  it('repository ids resolve to {endpoint}/{repo}/resolve/{revision}', () => {
    expect(resolveModelLocation('nlpconnect/vit-gpt2-image-captioning').baseUrl).toBe('https://huggingface.co/nlpconnect/vit-gpt2-image-captioning/resolve/main');
    const loc = resolveModelLocation('org/m', { endpoint: 'http://mirror.local/', revision: 'refs/pr/1' });
    expect(loc).toMatchObject({ repo: 'org/m', revision: 'refs/pr/1', endpoint: 'http://mirror.local' });
    expect(fileUrl(loc, 'onnx/encoder model.onnx')).toBe('http://mirror.local/org/m/resolve/refs%2Fpr%2F1/onnx/encoder%20model.onnx');
    expect(resolveModelLocation('gpt2').baseUrl).toBe('https://huggingface.co/gpt2/resolve/main');
  });

  it('URLs are used as given; relative ones resolve against baseUrl', () => {
    expect(resolveModelLocation('https://cdn.example/models/x/').baseUrl).toBe('https://cdn.example/models/x');
    expect(resolveModelLocation('./models/x', { baseUrl: 'https://site.example/demo/index.html' }).baseUrl).toBe('https://site.example/demo/models/x');
  });

  it('anything else is rejected with the rule', () => {
    expect(isRepoId('a/b/c')).toBe(false);
    expect(isRepoId('a--b/c')).toBe(false);
    expect(isRepoId('org/name.v2')).toBe(true);
    expect(() => resolveModelLocation('no such/repo')).toThrow(/neither an http\(s\) URL nor a repository id/);
    expect(() => resolveModelLocation('./x')).toThrow(/relative URL.*baseUrl/);
    expect(() => resolveModelLocation('org/m', { endpoint: 'ftp://x' })).toThrow(/"endpoint" must be an http\(s\) URL/);
  });
});

describe('HttpFiles', () => {
  it('reads files, answers exists() with HEAD, and reports progress with totals', async () => {
    const events: DownloadProgress[] = [];
    const files = new HttpFiles('org/plain', { endpoint: base, onProgress: (p) => events.push(p) });
    expect(await files.exists('config.json')).toBe(true);
    expect(await files.exists('missing.json')).toBe(false);
    expect(new TextDecoder().decode(await files.readBytes('config.json'))).toBe('{"ok":true}');
    expect(new TextDecoder().decode(await files.readBytes('dir/with space.json'))).toBe('[1]');
    expect(await files.readBytes('big.bin')).toEqual(big);
    const bigEvents = events.filter((e) => e.file === 'big.bin');
    expect(bigEvents[0]).toMatchObject({ loaded: 0, total: big.length, done: false });
    expect(bigEvents.at(-1)).toMatchObject({ loaded: big.length, total: big.length, done: true, fromCache: false });
    expect(files.fileRecords.map((r) => r.file)).toEqual(['config.json', 'dir/with space.json', 'big.bin']);
  });

  it('concurrent reads of one file make one request', async () => {
    requests.length = 0;
    const files = new HttpFiles('org/plain', { endpoint: base });
    await Promise.all([files.readBytes('big.bin'), files.readBytes('big.bin')]);
    expect(requests.filter((r) => r === 'GET /org/plain/resolve/main/big.bin')).toHaveLength(1);
  });

  it('loads weights from one file or from an index and its shards', async () => {
    const single = await loadWeights(new HttpFiles('org/plain', { endpoint: base }));
    expect([...single.getFloat32('b')]).toEqual([5, 6]);
    const sharded = await loadWeights(new HttpFiles('org/sharded', { endpoint: base }));
    expect(sharded.names().sort()).toEqual(['a', 'b']);
    expect([...sharded.getFloat32('a')]).toEqual([1, 2, 3, 4]);
  });

  it('a revision with slashes is one path segment', async () => {
    const files = new HttpFiles('org/pr', { endpoint: base, revision: 'refs/pr/1' });
    expect(new TextDecoder().decode(await files.readBytes('config.json'))).toBe('{"pr":1}');
  });

  it('falls back to a ranged GET where HEAD is not allowed', async () => {
    const files = new HttpFiles('org/nohead', { endpoint: base });
    expect(await files.exists('config.json')).toBe(true);
    expect(await files.exists('other.json')).toBe(false);
  });

  it('404: FILE_NOT_FOUND naming the file, the repository and the URL', async () => {
    const error = await failure(new HttpFiles('org/plain', { endpoint: base }).readBytes('nope.json'));
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', reason: 'not-found', status: 404 });
    expect(error.message).toContain('nope.json is not in org/plain (revision main)');
    expect(error.message).toContain(`${base}/org/plain/resolve/main/nope.json`);
    expect(error.message).toContain('Entry not found');
  });

  it('other statuses name the status and the server message; 401 hints at access', async () => {
    const down = await failure(new HttpFiles('org/broken', { endpoint: base }).readBytes('config.json'));
    expect(down).toMatchObject({ reason: 'status', status: 503 });
    expect(down.message).toContain('HTTP 503');
    expect(down.message).toContain('Service unavailable for maintenance');
    const denied = await failure(new HttpFiles('org/private', { endpoint: base }).exists('config.json'));
    expect(denied.message).toMatch(/private or gated/);
  });

  it('a body cut short of its Content-Length is a truncated-download error', async () => {
    const error = await failure(new HttpFiles('org/cut', { endpoint: base }).readBytes('big.bin'));
    expect(error.reason).toBe('truncated');
    expect(error.message).toMatch(/received \d+ of 200000 bytes/);
  });

  it('a server that cannot be reached is a network error naming the URL', async () => {
    const error = await failure(new HttpFiles('http://127.0.0.1:1/models/x').readBytes('config.json'));
    expect(error.reason).toBe('network');
    expect(error.message).toContain('http://127.0.0.1:1/models/x/config.json');
  });

  it('a cache serves the second load without any request, misses included', async () => {
    const cache = new MemoryCache();
    const first = new HttpFiles('org/plain', { endpoint: base, cache });
    await first.readBytes('config.json');
    expect(await first.exists('absent.json')).toBe(false);
    requests.length = 0;
    const events: DownloadProgress[] = [];
    const second = new HttpFiles('org/plain', { endpoint: base, cache, onProgress: (p) => events.push(p) });
    expect(await second.exists('config.json')).toBe(true);
    expect(await second.exists('absent.json')).toBe(false);
    expect(new TextDecoder().decode(await second.readBytes('config.json'))).toBe('{"ok":true}');
    expect(requests).toEqual([]);
    expect(events).toEqual([expect.objectContaining({ file: 'config.json', fromCache: true, done: true })]);
    expect(second.fileRecords).toEqual([{ file: 'config.json', bytes: 11, fromCache: true }]);
  });

  it('offline: the cache or a clear error, never the network', async () => {
    const cache = new MemoryCache();
    await new HttpFiles('org/plain', { endpoint: base, cache }).readBytes('config.json');
    requests.length = 0;
    const offline = new HttpFiles('org/plain', { endpoint: base, cache, offline: true });
    expect(await offline.readBytes('config.json')).toBeInstanceOf(Uint8Array);
    expect(await offline.exists('model.safetensors')).toBe(false);
    const error = await failure(offline.readBytes('model.safetensors'));
    expect(error).toMatchObject({ reason: 'offline', code: 'FILE_NOT_FOUND' });
    expect(error.message).toContain('offline mode is on and it is not in a test cache');
    expect(requests).toEqual([]);
  });

  it('revalidate: asks the server (HEAD) before using the cache', async () => {
    const cache = new MemoryCache();
    cache.store.set(`${base}/org/plain/resolve/main/config.json`, enc.encode('{"cached":true}'));
    requests.length = 0;
    const files = new HttpFiles('org/plain', { endpoint: base, cache, revalidate: true });
    expect(new TextDecoder().decode(await files.readBytes('config.json'))).toBe('{"cached":true}');
    expect(requests).toEqual(['HEAD /org/plain/resolve/main/config.json']);
    await failure(files.readBytes('gone.json'));
  });
});
