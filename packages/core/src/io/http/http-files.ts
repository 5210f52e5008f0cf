/**
 * `ModelFiles` over HTTP: a checkpoint at a base URL or in a hub repository
 * (`{endpoint}/{repo}/resolve/{revision}/{file}`), read with fetch, with
 * progress events, an optional cache and offline mode. Core's loaders read
 * through it as they read a directory, so sharded safetensors
 * (`model.safetensors.index.json` and its shards) load the same way.
 */
import type { ModelFiles } from '../model-files.js';
import { download, send, type FetchFunction, type ProgressCallback, type RequestContext } from './download.js';
import { HttpError, statusError } from './http-error.js';
import { fileUrl, resolveModelLocation, type LocationOptions, type ModelLocation } from './location.js';
import type { CacheRequest, ModelCache } from './model-cache.js';

export interface HttpFilesOptions extends LocationOptions {
  /** The fetch to use (default: the global one). */
  fetch?: FetchFunction;
  /** Extra request headers, e.g. `{authorization: 'Bearer hf_…'}` for private repositories. */
  headers?: Readonly<Record<string, string>>;
  /** Where downloaded files are kept; none by default. */
  cache?: ModelCache;
  /** Never use the network: files come from the cache or are missing (Python's `HF_HUB_OFFLINE=1`). */
  offline?: boolean;
  /**
   * Ask the server (HEAD) before using a cached file, so that a moved branch is
   * noticed, as huggingface_hub does online. Off by default: a cached file is
   * used without a request, which is what makes a second visit load offline.
   */
  revalidate?: boolean;
  /**
   * How HEAD requests treat redirects. huggingface_hub reads the hub's
   * `X-Repo-Commit`/`X-Linked-Etag` headers from the redirect itself, so Node
   * passes `'manual'`; browsers cannot read redirects and keep `'follow'`.
   */
  headRedirect?: RequestRedirect;
  /** Told when storing a file in the cache failed (the load itself goes on). */
  onCacheError?: (error: unknown) => void;
  /** Called as each file downloads (and once for a file taken from the cache). */
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

interface Probe {
  exists: boolean;
  head?: Headers;
}

/** How one file was obtained, for reports and tests. */
export interface FileRecord {
  readonly file: string;
  readonly bytes: number;
  readonly fromCache: boolean;
}

export class HttpFiles implements ModelFiles {
  readonly location: string;
  readonly source: ModelLocation;
  private readonly fetchFn: FetchFunction;
  private readonly probes = new Map<string, Promise<Probe>>();
  private readonly reads = new Map<string, Promise<Uint8Array>>();
  private readonly records: FileRecord[] = [];

  constructor(idOrUrl: string | ModelLocation, private readonly options: HttpFilesOptions = {}) {
    this.source = typeof idOrUrl === 'string' ? resolveModelLocation(idOrUrl, options) : idOrUrl;
    this.location = this.source.baseUrl;
    // The global fetch must be called unbound (as `fetch(...)`), never as a method.
    const global = (globalThis as { fetch?: FetchFunction }).fetch;
    const fetchFn = options.fetch ?? (global === undefined ? undefined : (input: string, init?: RequestInit) => global(input, init));
    if (fetchFn === undefined && !options.offline) {
      throw new HttpError('network', this.location, 'HttpFiles needs fetch: this runtime has no global fetch; pass the "fetch" option.');
    }
    this.fetchFn = fetchFn ?? (() => Promise.reject(new Error('no fetch')));
  }

  /** The URL a file is read from. */
  url(name: string): string {
    return fileUrl(this.source, name);
  }

  /** Files read so far, in order, and whether each came from the cache. */
  get fileRecords(): readonly FileRecord[] {
    return this.records;
  }

  async exists(name: string): Promise<boolean> {
    return (await this.probe(name)).exists;
  }

  readBytes(name: string): Promise<Uint8Array> {
    let pending = this.reads.get(name);
    if (pending === undefined) {
      pending = this.read(name);
      this.reads.set(name, pending);
      // Only concurrent reads share a download: holding on to the bytes would keep
      // a model's weights alive after the runtime has copied them.
      const forget = () => void this.reads.delete(name);
      pending.then(forget, forget);
    }
    return pending;
  }

  private context(name: string): RequestContext {
    return {
      file: name,
      url: this.url(name),
      where: this.source.repo !== undefined ? `${this.source.repo} (revision ${this.source.revision})` : this.location,
      fetch: this.fetchFn,
      ...(this.options.headers ? { headers: this.options.headers } : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
  }

  private request(name: string, head?: Headers): CacheRequest {
    return { file: name, url: this.url(name), location: this.source, ...(head ? { head } : {}) };
  }

  private probe(name: string): Promise<Probe> {
    let pending = this.probes.get(name);
    if (pending === undefined) {
      pending = this.head(name);
      this.probes.set(name, pending);
      pending.catch(() => this.probes.delete(name));
    }
    return pending;
  }

  /** Whether the file exists: the cache first unless revalidating, then a HEAD request. */
  private async head(name: string): Promise<Probe> {
    const { cache, offline, revalidate } = this.options;
    const request = this.request(name);
    if (cache !== undefined && (offline || !revalidate)) {
      if (await cache.has(request)) return { exists: true };
      if (await cache.isKnownMissing?.(request)) return { exists: false };
    }
    if (offline) return { exists: false };
    const ctx = this.context(name);
    let response = await send(ctx, 'HEAD', this.options.headRedirect ?? 'follow');
    if (response.status === 405 || response.status === 501) {
      // A server without HEAD: ask for the first byte instead.
      response = await send({ ...ctx, headers: { ...ctx.headers, range: 'bytes=0-0' } }, 'GET');
      await response.body?.cancel().catch(() => undefined);
    }
    const redirected = response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
    if (response.ok || redirected) return { exists: true, head: response.headers };
    if (response.status === 404 || response.status === 410) {
      if (cache?.putMissing !== undefined) await cache.putMissing(request, response).catch(() => undefined);
      return { exists: false };
    }
    throw statusError(response, ctx.url, name, ctx.where);
  }

  private async read(name: string): Promise<Uint8Array> {
    const { cache, offline, revalidate, onProgress } = this.options;
    const ctx = this.context(name);
    let head: Headers | undefined;
    if (cache !== undefined) {
      if (revalidate && !offline) {
        const probe = await this.probe(name);
        if (!probe.exists) throw statusError(new Response(null, { status: 404 }), ctx.url, name, ctx.where);
        head = probe.head;
      }
      const cached = await cache.match(this.request(name, head)).catch(() => undefined);
      if (cached !== undefined) {
        this.records.push({ file: name, bytes: cached.length, fromCache: true });
        onProgress?.({ file: name, url: ctx.url, loaded: cached.length, total: cached.length, done: true, fromCache: true });
        return cached;
      }
    }
    if (offline) {
      const where = cache === undefined ? 'no cache was given' : `it is not in ${cache.description}`;
      throw new HttpError('offline', ctx.url, `Cannot load ${name} from ${ctx.where}: offline mode is on and ${where}. Load the model once online, or turn offline mode off.`);
    }
    const { bytes, response } = await download(ctx, onProgress);
    if (cache !== undefined) {
      // The cache is best-effort: a full disk or quota must not fail the load.
      await cache.put(this.request(name, head), bytes, response).catch((error: unknown) => this.options.onCacheError?.(error));
    }
    this.records.push({ file: name, bytes: bytes.length, fromCache: false });
    return bytes;
  }
}
