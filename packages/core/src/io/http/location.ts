/**
 * Where a model's files live on the web: a base URL, or a Hugging Face–style
 * repository id resolved as `{endpoint}/{repo}/resolve/{revision}/{file}`
 * (huggingface_hub's `hf_hub_url`).
 */
import { VedError } from '../../errors.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

export interface ModelLocation {
  /** What was asked for: a repository id or a URL. */
  readonly id: string;
  /** The URL a file name is appended to, without a trailing slash. */
  readonly baseUrl: string;
  /** The repository id (`owner/name`), for hub locations. */
  readonly repo?: string;
  /** The revision (branch, tag or commit), for hub locations. */
  readonly revision?: string;
  /** The hub endpoint, for hub locations. */
  readonly endpoint?: string;
}

export interface LocationOptions {
  /** The hub (default `https://huggingface.co`; Python's `HF_ENDPOINT`). */
  endpoint?: string;
  /** Branch, tag or commit of a repository (default `main`). */
  revision?: string;
  /** Resolves relative URLs (`./models/x`, `/models/x`); defaults to the page's address in a browser. */
  baseUrl?: string;
}

// huggingface_hub's validate_repo_id: an optional namespace, letters, digits, `-`, `_`, `.`;
// no `--` or `..`; at most 96 characters.
const REPO_PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Whether `id` reads as a hub repository id (`name` or `owner/name`). */
export function isRepoId(id: string): boolean {
  if (id.length === 0 || id.length > 96 || id.includes('--') || id.includes('..')) return false;
  const parts = id.split('/');
  return parts.length <= 2 && parts.every((p) => REPO_PART.test(p) && !p.endsWith('.') && !p.endsWith('-'));
}

/** Whether `text` is an absolute http(s) URL. */
export function isHttpUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

function isRelativeUrl(text: string): boolean {
  return text.startsWith('/') || text.startsWith('./') || text.startsWith('../');
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function pageAddress(): string | undefined {
  const loc = (globalThis as { location?: { href?: string } }).location;
  return typeof loc?.href === 'string' ? loc.href : undefined;
}

/**
 * Resolves a repository id or URL. Absolute `http(s)` URLs and relative ones
 * (`./x`, `../x`, `/x`, against `baseUrl` or the page) are used as they are;
 * anything else must be a repository id.
 */
export function resolveModelLocation(idOrUrl: string, options: LocationOptions = {}): ModelLocation {
  if (typeof idOrUrl !== 'string' || idOrUrl.trim() === '') {
    throw new VedError('INVALID_INPUT', `Model location must be a URL or a repository id such as "owner/name", got ${JSON.stringify(idOrUrl)}.`);
  }
  const id = idOrUrl.trim();
  if (isHttpUrl(id)) return { id, baseUrl: trimSlash(id) };
  if (isRelativeUrl(id)) {
    const base = options.baseUrl ?? pageAddress();
    if (base === undefined) {
      throw new VedError('INVALID_INPUT', `Model location ${JSON.stringify(id)} is a relative URL, but there is no page address to resolve it against; pass an absolute URL or the "baseUrl" option.`);
    }
    return { id, baseUrl: trimSlash(new URL(id, base).href) };
  }
  if (!isRepoId(id)) {
    throw new VedError(
      'INVALID_INPUT',
      `Model location ${JSON.stringify(id)} is neither an http(s) URL nor a repository id ("owner/name": letters, digits, "-", "_", "." ; no "--" or ".."; at most 96 characters).`,
    );
  }
  const endpoint = trimSlash(options.endpoint ?? DEFAULT_ENDPOINT);
  if (!isHttpUrl(endpoint)) {
    throw new VedError('INVALID_OPTION', `"endpoint" must be an http(s) URL, got ${JSON.stringify(options.endpoint)}.`);
  }
  const revision = options.revision ?? DEFAULT_REVISION;
  if (revision === '') throw new VedError('INVALID_OPTION', '"revision" must not be empty (use a branch, tag or commit, e.g. "main").');
  // As hf_hub_url: the revision is one path segment (`refs/pr/1` → `refs%2Fpr%2F1`).
  return { id, repo: id, revision, endpoint, baseUrl: `${endpoint}/${id}/resolve/${encodeURIComponent(revision)}` };
}

/** The URL of `file` (which may contain `/`) in `location`. */
export function fileUrl(location: ModelLocation, file: string): string {
  return `${location.baseUrl}/${file.split('/').map(encodeURIComponent).join('/')}`;
}
