/**
 * One file over fetch: status checked, body streamed with progress events into
 * one preallocated buffer, and a body shorter than its `Content-Length`
 * reported as a truncated download rather than handed on as a corrupt file.
 */
import { HttpError, statusError } from './http-error.js';

export interface DownloadProgress {
  /** The file's name in the model, e.g. `model.safetensors`. */
  readonly file: string;
  readonly url: string;
  /** Bytes received so far. */
  readonly loaded: number;
  /** The file's size when known (`Content-Length`), else undefined. */
  readonly total: number | undefined;
  /** True on the last event of a file. */
  readonly done: boolean;
  /** True when the file came from the cache, not the network. */
  readonly fromCache: boolean;
}

export type ProgressCallback = (progress: DownloadProgress) => void;

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestContext {
  readonly file: string;
  readonly url: string;
  /** Names the model in messages (its id or URL). */
  readonly where: string;
  readonly fetch: FetchFunction;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** Sends a request; network failures become `HttpError('network')`. Non-2xx responses are returned. */
export async function send(ctx: RequestContext, method: 'GET' | 'HEAD', redirect: RequestRedirect = 'follow'): Promise<Response> {
  try {
    return await ctx.fetch(ctx.url, {
      method,
      redirect,
      ...(ctx.headers ? { headers: { ...ctx.headers } } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (cause) {
    if (ctx.signal?.aborted) throw ctx.signal.reason ?? cause;
    throw new HttpError('network', ctx.url, `Cannot download ${ctx.file} from ${ctx.where}: the request to ${ctx.url} failed (${describe(cause)}).`, undefined, { cause });
  }
}

/** The body length the headers promise, when it can be checked (no content coding in between). */
export function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return undefined;
  const length = response.headers.get('content-length') ?? response.headers.get('x-linked-size');
  if (length === null || !/^\d+$/.test(length.trim())) return undefined;
  return Number(length);
}

/** GETs `ctx.url` and reads the whole body. */
export async function download(ctx: RequestContext, onProgress?: ProgressCallback): Promise<{ bytes: Uint8Array; response: Response }> {
  const response = await send(ctx, 'GET');
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw statusError(response, ctx.url, ctx.file, ctx.where);
  }
  return { bytes: await readBody(ctx, response, onProgress), response };
}

/** Reads `response`'s body with progress events, checking its length against `Content-Length`. */
export async function readBody(ctx: RequestContext, response: Response, onProgress?: ProgressCallback): Promise<Uint8Array> {
  const total = declaredLength(response);
  // For a cross-origin ("cors") response the browser hides Content-Encoding, so a
  // compressed body may legitimately differ from Content-Length; there the
  // browser's own length check (a network error) is the one that counts.
  const checkable = total !== undefined && response.type !== 'cors' && response.type !== 'opaque';
  const report = (loaded: number, done: boolean, size: number | undefined) =>
    onProgress?.({ file: ctx.file, url: ctx.url, loaded, total: size, done, fromCache: false });

  let buffer = new Uint8Array(total ?? 64 * 1024);
  let loaded = 0;
  report(0, false, total);
  const truncated = (cause?: unknown) =>
    new HttpError(
      'truncated',
      ctx.url,
      `Download of ${ctx.file} from ${ctx.where} is incomplete: received ${loaded} of ${total} bytes (Content-Length) from ${ctx.url}` +
        `${cause === undefined ? '' : ` before the connection failed (${describe(cause)})`}. Retry; if it persists the server is sending a cut-off file.`,
      response.status,
      cause === undefined ? undefined : { cause },
    );

  if (response.body === null) {
    if (total !== undefined && total > 0 && checkable) throw truncated();
    report(0, true, 0);
    return new Uint8Array(0);
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.length;
      report(loaded, false, total !== undefined && loaded <= total ? total : undefined);
    }
  } catch (cause) {
    if (ctx.signal?.aborted) throw ctx.signal.reason ?? cause;
    if (total !== undefined && loaded < total) throw truncated(cause);
    throw new HttpError('network', ctx.url, `Download of ${ctx.file} from ${ctx.where} failed after ${loaded} bytes: ${describe(cause)} (${ctx.url}).`, response.status, { cause });
  } finally {
    reader.releaseLock();
  }
  if (checkable && loaded < total) throw truncated();
  const bytes = loaded === buffer.length ? buffer : buffer.slice(0, loaded);
  report(loaded, true, loaded);
  return bytes;
}

export function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    return inner instanceof Error && inner.message !== cause.message ? `${cause.message}: ${inner.message}` : cause.message;
  }
  return String(cause);
}
