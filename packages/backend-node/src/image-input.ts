/**
 * Node image inputs → RawImage, for the pipeline (`ImageSource` of
 * @ved/pipeline): a path, a `file:` URL (string or URL), an `http(s):` or
 * `data:` URL (fetched, at most `maxImageBytes`), a Buffer / Uint8Array /
 * ArrayBuffer of file bytes, a Blob, or a RawImage. Files are decoded by
 * image-decode.ts exactly as PIL opens them; anything else is a typed error
 * listing what is accepted.
 */
import { fileURLToPath } from 'node:url';
import { VedError, assertRawImage, type ImageLimitOptions, type RawImage } from '@ved/core';
import type { ImageSource } from '@ved/pipeline';
import { decodeImage, readImageFile } from './image-decode.js';

/** Anything the Node pipeline accepts as an image. */
export type ImageInput = string | URL | Uint8Array | ArrayBuffer | Blob | RawImage;

export interface NodeImageOptions extends ImageLimitOptions {
  /** Largest image download, in bytes (default 64 MiB); a bigger `Content-Length` or body is refused. */
  maxImageBytes?: number;
  /** The fetch used for `http(s):` URLs (default: the global one). */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;

const ACCEPTED = 'a file path, a file: URL, an http(s): or data: URL (string or URL), a Buffer / Uint8Array / ArrayBuffer of PNG, JPEG, WebP, TIFF, GIF or BMP bytes, a Blob, or a RawImage ({width, height, channels, data})';

function isRawImage(value: unknown): value is RawImage {
  return typeof value === 'object' && value !== null && 'width' in value && 'height' in value && 'channels' in value && 'data' in value;
}

/** A URL rather than a path: a known scheme, or any `scheme://` (refused below when unsupported). */
const URL_SCHEME = /^((https?|file|data):|[a-z][a-z0-9+.-]+:\/\/)/i;

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input !== 'object') return `${typeof input} ${JSON.stringify(input)?.slice(0, 80) ?? ''}`.trim();
  return Object.prototype.toString.call(input);
}

async function download(url: string, options: NodeImageOptions): Promise<Uint8Array> {
  const limit = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const fetchFn = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchFn(url, options.signal ? { signal: options.signal } : {});
  } catch (cause) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new VedError('FILE_NOT_FOUND', `${url}: cannot fetch the image (${(cause as Error).message}).`, { cause });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new VedError('FILE_NOT_FOUND', `${url}: cannot fetch the image (HTTP ${response.status}).`);
  }
  const tooLarge = (size: string) =>
    new VedError('IMAGE_TOO_LARGE', `${url}: the image is ${size}, more than the ${limit} bytes allowed (option maxImageBytes).`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(`${declared} bytes`);
  }
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`over ${limit} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/** Decodes any `ImageInput` (see the file header); `name` names it in errors. */
export async function loadNodeImage(input: ImageInput, options: NodeImageOptions = {}, name?: string): Promise<RawImage> {
  options.signal?.throwIfAborted();
  const limits: ImageLimitOptions = {
    ...(options.maxImagePixels !== undefined ? { maxImagePixels: options.maxImagePixels } : {}),
    ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
  };
  if (typeof input === 'string' || input instanceof URL) {
    const text = String(input);
    if (input instanceof URL || URL_SCHEME.test(text)) {
      const url = input instanceof URL ? input : new URL(text);
      if (url.protocol === 'file:') return readImageFile(fileURLToPath(url), limits);
      if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'data:') {
        const label = url.protocol === 'data:' ? `${text.slice(0, 40)}…` : url.href;
        return decodeImage(await download(url.href, options), label, limits);
      }
      throw new VedError('INVALID_IMAGE', `${url.href}: ${url.protocol} URLs are not supported; expected ${ACCEPTED}.`);
    }
    if (text === '') throw new VedError('INVALID_IMAGE', `An empty string is not an image; expected ${ACCEPTED}.`);
    return readImageFile(text, limits);
  }
  if (input instanceof Uint8Array) return decodeImage(input, name ?? `Uint8Array(${input.byteLength} bytes)`, limits);
  if (input instanceof ArrayBuffer) return decodeImage(new Uint8Array(input), name ?? `ArrayBuffer(${input.byteLength} bytes)`, limits);
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    const label = name ?? `Blob(${input.type || 'unknown type'}, ${input.size} bytes)`;
    return decodeImage(new Uint8Array(await input.arrayBuffer()), label, limits);
  }
  if (isRawImage(input)) {
    assertRawImage(input);
    return input;
  }
  throw new VedError('INVALID_IMAGE', `${name === undefined ? '' : `${name}: `}unsupported image input (${describe(input)}); expected ${ACCEPTED}.`);
}

/** How an input is named in errors. */
export function nodeImageName(input: ImageInput, index: number): string {
  if (typeof input === 'string') return input.startsWith('data:') ? `images[${index}] (data: URL)` : input;
  if (input instanceof URL) return input.protocol === 'data:' ? `images[${index}] (data: URL)` : input.href;
  return `images[${index}]`;
}

/** The Node `ImageSource` of the shared pipeline. */
export function nodeImageSource(options: Omit<NodeImageOptions, 'signal' | keyof ImageLimitOptions> = {}): ImageSource<ImageInput> {
  return {
    load: (input, load) => loadNodeImage(input, { ...options, ...load }),
    name: nodeImageName,
  };
}
