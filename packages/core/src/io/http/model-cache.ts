/**
 * Where downloaded files are kept between visits. `HttpFiles` asks the cache
 * first and stores what it downloads; a backend supplies the store: the
 * browser's Cache API (`WebCache`, here), or a directory on Node laid out as
 * huggingface_hub lays out its cache (backend-node).
 */
import type { ModelLocation } from './location.js';

export interface CacheRequest {
  /** The file's name in the model, e.g. `model.safetensors`. */
  readonly file: string;
  readonly url: string;
  readonly location: ModelLocation;
  /** Headers of a HEAD request made just before, when the files revalidate (hub commit, ETag). */
  readonly head?: Headers;
}

export interface ModelCache {
  /** Shown in messages, e.g. `Cache API "ved-models"` or a directory. */
  readonly description: string;
  /** Whether the file is cached. */
  has(request: CacheRequest): Promise<boolean>;
  /** The cached bytes, or undefined. */
  match(request: CacheRequest): Promise<Uint8Array | undefined>;
  /** Stores a downloaded file; `response` is the GET that brought it. */
  put(request: CacheRequest, bytes: Uint8Array, response: Response): Promise<void>;
  /** Whether the cache knows the file does not exist (huggingface_hub's `.no_exist` markers). */
  isKnownMissing?(request: CacheRequest): Promise<boolean>;
  /** Records that the file does not exist; `response` is the 404. */
  putMissing?(request: CacheRequest, response: Response): Promise<void>;
}

/** The name `WebCache.open()` uses by default. */
export const DEFAULT_WEB_CACHE_NAME = 'ved-models';

/** A `ModelCache` over the browser's Cache API, keyed by URL. */
export class WebCache implements ModelCache {
  readonly description: string;

  private constructor(private readonly cache: Cache, readonly name: string) {
    this.description = `Cache API "${name}"`;
  }

  /**
   * Opens the named cache, or returns undefined where the Cache API is not
   * available (Node, insecure http: pages, some private modes).
   */
  static async open(name = DEFAULT_WEB_CACHE_NAME): Promise<WebCache | undefined> {
    const storage = (globalThis as { caches?: CacheStorage }).caches;
    if (storage === undefined) return undefined;
    try {
      return new WebCache(await storage.open(name), name);
    } catch {
      return undefined; // e.g. SecurityError in an opaque origin: run without a cache
    }
  }

  /** Deletes the named cache. */
  static async clear(name = DEFAULT_WEB_CACHE_NAME): Promise<boolean> {
    const storage = (globalThis as { caches?: CacheStorage }).caches;
    return storage === undefined ? false : storage.delete(name);
  }

  async has(request: CacheRequest): Promise<boolean> {
    return (await this.cache.match(request.url))?.status === 200;
  }

  async match(request: CacheRequest): Promise<Uint8Array | undefined> {
    const hit = await this.cache.match(request.url);
    if (hit === undefined || hit.status !== 200) return undefined;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    // A cached entry that lost bytes (quota eviction mid-write) is a miss.
    const length = hit.headers.get('content-length');
    if (length !== null && Number(length) !== bytes.length) {
      await this.cache.delete(request.url);
      return undefined;
    }
    return bytes;
  }

  async put(request: CacheRequest, bytes: Uint8Array, response: Response): Promise<void> {
    const headers = new Headers({ 'content-length': String(bytes.byteLength) });
    const type = response.headers.get('content-type');
    if (type !== null) headers.set('content-type', type);
    const body = new Blob([bytes as Uint8Array<ArrayBuffer>]);
    await this.cache.put(request.url, new Response(body, { status: 200, headers }));
  }

  /** A file the server said does not exist is remembered, so a second visit needs no request at all. */
  async isKnownMissing(request: CacheRequest): Promise<boolean> {
    return (await this.cache.match(request.url))?.status === 404;
  }

  async putMissing(request: CacheRequest): Promise<void> {
    await this.cache.put(request.url, new Response(null, { status: 404 }));
  }
}
