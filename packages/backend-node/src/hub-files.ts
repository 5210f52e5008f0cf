/**
 * Models from a Hugging Face–style hub on Node: `HttpFiles` (core) over fetch,
 * with the cache directory, environment variables and offline mode that
 * Python users know from huggingface_hub:
 *
 * - `HF_HUB_CACHE` (or `HUGGINGFACE_HUB_CACHE`), else `$HF_HOME/hub`, else
 *   `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`;
 * - the cache layout `models--{owner}--{name}/{blobs,snapshots,refs,.no_exist}`,
 *   so a model Python downloaded loads here offline and vice versa;
 * - `HF_HUB_OFFLINE=1` (or `TRANSFORMERS_OFFLINE=1`): no network, cache only;
 * - `HF_ENDPOINT` for the hub's address, `HF_TOKEN` for private repositories.
 *
 * Plain URLs are fetched but not cached (huggingface_hub has no cache for them).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, symlink, writeFile, copyFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import {
  HttpError,
  HttpFiles,
  VedError,
  isHttpUrl,
  isRepoId,
  resolveModelLocation,
  type CacheRequest,
  type HttpFilesOptions,
  type ModelCache,
  type ModelFiles,
  type SafetensorsFile,
} from '@ved/core';
import { DirectoryFiles, checkDirectory } from './directory-files.js';

type Env = Readonly<Record<string, string | undefined>>;

/** huggingface_hub's `_is_true`. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.toUpperCase());
}

/** `HF_HOME`, as huggingface_hub computes it. */
export function hfHome(env: Env = process.env): string {
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return expandHome(home);
}

/** The hub cache directory (`HF_HUB_CACHE`), as huggingface_hub computes it. */
export function hubCacheDir(env: Env = process.env): string {
  const dir = env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE;
  return dir !== undefined ? expandHome(dir) : join(hfHome(env), 'hub');
}

/** Whether offline mode is on (`HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE`). */
export function isOfflineMode(env: Env = process.env): boolean {
  return isTrue(env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE);
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

const COMMIT = /^[0-9a-f]{40}$/;

/** huggingface_hub's `_normalize_etag`: no weak prefix, no quotes. */
function normalizeEtag(etag: string | null | undefined): string | undefined {
  if (etag === null || etag === undefined || etag === '') return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/**
 * A `ModelCache` in huggingface_hub's layout under `dir`:
 * `models--owner--name/blobs/{etag}`, `snapshots/{commit}/{file}` (a relative
 * symlink to the blob), `refs/{revision}` (the commit), `.no_exist/{commit}/{file}`.
 */
export class HubCache implements ModelCache {
  readonly description: string;
  /** The commit each revision resolved to during this process. */
  private readonly commits = new Map<string, string>();

  constructor(readonly dir: string) {
    this.description = `the hub cache ${dir}`;
  }

  /** The folder of a repository. */
  repoDir(repo: string): string {
    return join(this.dir, `models--${repo.split('/').join('--')}`);
  }

  private repoOf(request: CacheRequest): { repo: string; revision: string } {
    const { repo, revision } = request.location;
    if (repo === undefined || revision === undefined) {
      throw new VedError('INVALID_INPUT', `HubCache only holds hub repositories; ${request.url} is a plain URL.`);
    }
    return { repo, revision };
  }

  /** The commit a request's revision points to: from the server's headers, the revision itself, or refs/. */
  private async commitOf(request: CacheRequest, response?: Response): Promise<string | undefined> {
    const { repo, revision } = this.repoOf(request);
    const fromServer = request.head?.get('x-repo-commit') ?? response?.headers.get('x-repo-commit');
    if (fromServer) {
      this.commits.set(`${repo}@${revision}`, fromServer);
      return fromServer;
    }
    if (COMMIT.test(revision)) return revision;
    return this.commits.get(`${repo}@${revision}`) ?? (await readOptional(join(this.repoDir(repo), 'refs', revision)));
  }

  private snapshotPath(repo: string, commit: string, file: string): string {
    return join(this.repoDir(repo), 'snapshots', commit, ...file.split('/'));
  }

  private blobFromHead(request: CacheRequest): string | undefined {
    const etag = normalizeEtag(request.head?.get('x-linked-etag') ?? request.head?.get('etag'));
    return etag === undefined ? undefined : join(this.repoDir(this.repoOf(request).repo), 'blobs', etag);
  }

  private async find(request: CacheRequest): Promise<string | undefined> {
    const { repo } = this.repoOf(request);
    // Online, the server named the blob: any snapshot that holds it will do.
    const blob = this.blobFromHead(request);
    if (blob !== undefined && (await isFile(blob))) {
      const commit = await this.commitOf(request);
      if (commit !== undefined) await this.link(repo, commit, request.file, blob);
      return blob;
    }
    if (request.head !== undefined && blob !== undefined) return undefined; // a new version exists
    const commit = await this.commitOf(request);
    if (commit === undefined) return undefined;
    const path = this.snapshotPath(repo, commit, request.file);
    return (await isFile(path)) ? path : undefined;
  }

  async has(request: CacheRequest): Promise<boolean> {
    return (await this.find(request)) !== undefined;
  }

  async match(request: CacheRequest): Promise<Uint8Array | undefined> {
    const path = await this.find(request);
    if (path === undefined) return undefined;
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async put(request: CacheRequest, bytes: Uint8Array, response: Response): Promise<void> {
    const { repo, revision } = this.repoOf(request);
    const commit = (await this.commitOf(request, response)) ?? revision;
    const etag =
      normalizeEtag(request.head?.get('x-linked-etag') ?? request.head?.get('etag') ?? response.headers.get('x-linked-etag') ?? response.headers.get('etag')) ??
      createHash('sha256').update(bytes).digest('hex');
    const blob = join(this.repoDir(repo), 'blobs', etag);
    if (!(await isFile(blob))) {
      await mkdir(dirname(blob), { recursive: true });
      const partial = `${blob}.${process.pid}.incomplete`;
      await writeFile(partial, bytes);
      await rename(partial, blob);
    }
    await this.link(repo, commit, request.file, blob);
    if (commit !== revision) {
      const ref = join(this.repoDir(repo), 'refs', revision);
      await mkdir(dirname(ref), { recursive: true });
      await writeFile(ref, commit);
    }
  }

  async isKnownMissing(request: CacheRequest): Promise<boolean> {
    const commit = await this.commitOf(request);
    if (commit === undefined) return false;
    return isFile(join(this.repoDir(this.repoOf(request).repo), '.no_exist', commit, ...request.file.split('/')));
  }

  async putMissing(request: CacheRequest, response: Response): Promise<void> {
    const commit = await this.commitOf(request, response);
    if (commit === undefined) return; // without a commit the marker could go stale
    const marker = join(this.repoDir(this.repoOf(request).repo), '.no_exist', commit, ...request.file.split('/'));
    await mkdir(dirname(marker), { recursive: true });
    await writeFile(marker, '');
  }

  /** Points `snapshots/{commit}/{file}` at `blob` with a relative symlink, as huggingface_hub does (a copy where links fail). */
  private async link(repo: string, commit: string, file: string, blob: string): Promise<void> {
    const pointer = this.snapshotPath(repo, commit, file);
    await mkdir(dirname(pointer), { recursive: true });
    await rm(pointer, { force: true });
    try {
      await symlink(relative(dirname(pointer), blob), pointer);
    } catch {
      await copyFile(blob, pointer);
    }
  }
}

export interface HubFilesOptions extends Omit<HttpFilesOptions, 'cache' | 'headRedirect'> {
  /** The hub cache directory, or false for none (default: from the environment, see `hubCacheDir`). */
  cacheDir?: string | false;
  /** An access token for private or gated repositories (default: `HF_TOKEN`). */
  token?: string;
  /** The environment to read (default: `process.env`). */
  env?: Env;
}

/**
 * The files of a hub repository (`owner/name`) or at a URL, with the hub cache.
 * Options given explicitly win over the environment.
 */
export async function hubFiles(idOrUrl: string, options: HubFilesOptions = {}): Promise<HttpFiles> {
  const env = options.env ?? process.env;
  const { cacheDir, token, env: _env, ...rest } = options;
  const offline = options.offline ?? isOfflineMode(env);
  const endpoint = options.endpoint ?? env.HF_ENDPOINT;
  const location = resolveModelLocation(idOrUrl, { ...rest, ...(endpoint !== undefined ? { endpoint } : {}) });
  const auth = token ?? env.HF_TOKEN;
  const headers = { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...options.headers };
  const isHub = location.repo !== undefined;
  const cache = isHub && cacheDir !== false ? new HubCache(cacheDir ?? hubCacheDir(env)) : undefined;
  if (offline) {
    if (cache === undefined) {
      const why = isHub ? 'the cache is switched off (cacheDir: false)' : 'plain URLs are not cached';
      throw new VedError('FILE_NOT_FOUND', `Cannot load ${idOrUrl}: offline mode is on (HF_HUB_OFFLINE) and ${why}.`);
    }
    if (!(await isDirectory(join(cache.repoDir(location.repo!), 'snapshots')))) {
      throw new VedError(
        'FILE_NOT_FOUND',
        `Cannot load ${idOrUrl}: offline mode is on (HF_HUB_OFFLINE) and the repository is not in the hub cache ${cache.dir} (no ${cache.repoDir(location.repo!)}). Download it once online, or unset HF_HUB_OFFLINE.`,
      );
    }
  }
  return new HttpFiles(location, {
    ...rest,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(cache ? { cache } : {}),
    offline,
    // Online, ask the hub before trusting the cache, as huggingface_hub does;
    // read its commit and blob ids from the redirect for large files.
    revalidate: options.revalidate ?? true,
    headRedirect: 'manual',
  });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A checkpoint's files, wherever they are, in the order Python's
 * `from_pretrained` looks: an existing directory, else a URL or hub repository id.
 */
export async function openModelFiles(location: string, options: HubFilesOptions = {}): Promise<ModelFiles> {
  if (await isDirectory(location)) return new DirectoryFiles(location);
  if (isHttpUrl(location)) return hubFiles(location, options);
  if (isRepoId(location)) return new RepoIdFiles(location, await explainHubFailure(location, () => hubFiles(location, options)));
  await checkDirectory(location); // throws: names the missing directory
  return new DirectoryFiles(location);
}

/**
 * Why a name that looks like `owner/name` went to the network: it is not a
 * local directory. Prefixed to the hub's errors, so that a mistyped local path
 * does not read as a download failure only.
 */
function hubPreamble(location: string): string {
  return `${location} is not a local directory (${resolve(location)} does not exist), so ved looked it up as a hub repository id`;
}

function explain(location: string, err: unknown): unknown {
  if (!(err instanceof VedError) || err.message.startsWith(location)) return err;
  const message = `${hubPreamble(location)}: ${err.message}`;
  if (err instanceof HttpError) return new HttpError(err.reason, err.url, message, err.status, { cause: err });
  return new VedError(err.code, message, { cause: err });
}

async function explainHubFailure<T>(location: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw explain(location, err);
  }
}

/** A hub repository's files whose errors say that the id was not a local directory. */
class RepoIdFiles implements ModelFiles {
  readonly location: string;
  readonly openSafetensors?: (name: string) => Promise<SafetensorsFile>;

  constructor(
    private readonly id: string,
    readonly files: HttpFiles,
  ) {
    this.location = files.location;
    const open = (files as ModelFiles).openSafetensors;
    if (open !== undefined) this.openSafetensors = (name) => explainHubFailure(id, () => open.call(files, name));
  }

  exists(name: string): Promise<boolean> {
    return explainHubFailure(this.id, () => this.files.exists(name));
  }

  readBytes(name: string): Promise<Uint8Array> {
    return explainHubFailure(this.id, () => this.files.readBytes(name));
  }
}
