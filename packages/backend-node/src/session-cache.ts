/**
 * An on-disk cache of onnxruntime's optimized sessions, so that a second load
 * of the same model skips graph optimization and weight prepacking.
 *
 * On a miss the session is created with onnxruntime's `optimizedModelFilePath`:
 * the optimized graph goes to `model.onnx` and every initializer of 1 KiB or
 * more (constant-folded ones included) to `model.data`, page-aligned, so that
 * the next load skips graph optimization and maps the weights from disk.
 * onnxruntime's prepacked-weight saving
 * (`session.save_external_prepacked_constant_initializers`) would also skip
 * repacking the MatMul weights, but with onnxruntime-node 1.30 a session
 * loaded that way crashed the process (segmentation fault) on its first run
 * of the tiny ViT + GPT-2 fixture, so it is not used. The entry is written in a private temporary folder and
 * renamed into place, so readers never see half an entry and concurrent
 * writers do not clash (the first rename wins, the others drop theirs).
 *
 * The key covers everything the session depends on: the serialized graph (so
 * any change of ved's graph code, the build options or the dtype), the bytes of
 * weights passed in memory (hashed), the identity of weight files on disk
 * (path, size, mtime, inode), the session options, ved's and onnxruntime's
 * versions, the platform and the CPU model (the optimized graph holds
 * CPU-specific layouts). An entry whose files do not match what was written
 * (sizes, the graph's SHA-256) or that onnxruntime refuses is removed and
 * rebuilt, with a warning.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession, SessionCacheStatus, SessionHints } from '@ved/core';

type SessionOptions = InferenceSession.SessionOptions & { extra?: Record<string, Record<string, string>> };

/** Opens a session from model bytes or from a file path (onnxruntime-node's `InferenceSession.create`). */
export type SessionFactory = (model: Uint8Array | string, options: SessionOptions) => Promise<InferenceSession>;

export const MODEL_FILE = 'model.onnx';
export const DATA_FILE = 'model.data';
export const META_FILE = 'meta.json';
const FORMAT = 1;
/** Initializers of at least this many bytes go to model.data (smaller ones stay in the graph). */
const MIN_EXTERNAL_BYTES = 1024;

/** `$VED_CACHE_DIR`, else `$XDG_CACHE_HOME/ved`, else `~/.cache/ved`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VED_CACHE_DIR) return env.VED_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ved');
}

/** The folder of session entries inside a cache directory (given, or the default for `true`). */
export function sessionCacheDir(cache: true | string): string {
  return join(cache === true ? defaultCacheDir() : cache, 'sessions');
}

/** What the entry's key is made of besides the model (versions and machine). */
export interface RuntimeIdentity {
  ved: string;
  onnxruntime: string;
  platform: string;
  cpu: string;
}

let vedVersion: string | undefined;
function packageVersion(): string {
  if (vedVersion === undefined) {
    try {
      // src/ and dist/ both sit one level below the package root.
      const pkg = createRequire(import.meta.url)('../package.json') as { version?: string };
      vedVersion = pkg.version ?? 'unknown';
    } catch {
      vedVersion = 'unknown';
    }
  }
  return vedVersion;
}

export function runtimeIdentity(onnxruntime: string): RuntimeIdentity {
  return { ved: packageVersion(), onnxruntime, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown' };
}

/** The keys of an entry: `graph` names the model and options, `key` adds the weights' identity. */
export interface CacheKey {
  graph: string;
  key: string;
}

/**
 * Hashes what a session depends on. In-memory external data carries names
 * numbered per process (`ved_weight_N.bin`); they are renumbered in order of
 * appearance so that the same model gets the same key in every process. The
 * files a weight spill wrote for this load (`spilledFiles`, among `diskFiles`)
 * lie in a new temporary folder each time: their paths are renamed the same
 * way and their content is hashed instead of their size and time.
 */
export async function sessionCacheKey(
  model: Uint8Array,
  options: SessionOptions,
  diskFiles: readonly string[],
  identity: RuntimeIdentity,
  label = '',
  spilledFiles: readonly string[] = [],
): Promise<CacheKey> {
  const renames = new Map<string, string>();
  let text = Buffer.from(model.buffer, model.byteOffset, model.byteLength)
    .toString('latin1')
    .replace(/ved_weight_\d+\.bin/g, (name) => {
      if (!renames.has(name)) renames.set(name, `w${renames.size}`);
      return renames.get(name)!;
    });
  const spilled = new Set(spilledFiles);
  // The graph names each file relative to the file system's root (graph-builder.ts); the path is UTF-8 in the protobuf.
  spilledFiles.forEach((file, i) => (text = text.split(Buffer.from(file.replace(/^\//, ''), 'utf8').toString('latin1')).join(`spill${i}`)));
  const checkpointFiles = diskFiles.filter((f) => !spilled.has(f)).sort();
  const { externalData, ...rest } = options as SessionOptions & { externalData?: Array<{ path: string; data: Uint8Array }> };
  const graph = createHash('sha256');
  graph.update(`ved-session-cache ${FORMAT}\0${label}\0${JSON.stringify(identity)}\0${stableJson(rest)}\0`);
  graph.update(text, 'latin1');
  for (const file of checkpointFiles) graph.update(`\0file ${file}`);
  const graphId = graph.digest('hex');
  const weights = createHash('sha256');
  weights.update(graphId);
  for (const file of checkpointFiles) {
    const s = await stat(file, { bigint: true });
    weights.update(`\0${file} ${s.size} ${s.mtimeNs} ${s.ino} ${s.dev}`);
  }
  for (const { path, data } of externalData ?? []) {
    weights.update(`\0${renames.get(path) ?? path} ${data.byteLength}\0`);
    weights.update(data);
  }
  for (const [i, file] of spilledFiles.entries()) {
    weights.update(`\0spill${i}\0`);
    for await (const chunk of createReadStream(file)) weights.update(chunk as Buffer);
  }
  return { graph: graphId.slice(0, 16), key: weights.digest('hex').slice(0, 32) };
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

interface EntryMeta {
  format: number;
  key: string;
  label: string;
  files: Record<string, { size: number; sha256?: string }>;
  ved: string;
  onnxruntime: string;
}

/** Why an entry cannot be used (undefined: it looks whole). Only the graph file is hashed; the data file's size is checked. */
export async function checkEntry(dir: string, key: string): Promise<string | undefined> {
  let meta: EntryMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as EntryMeta;
  } catch (err) {
    return `${META_FILE} cannot be read (${(err as Error).message})`;
  }
  if (meta.format !== FORMAT || meta.key !== key || typeof meta.files !== 'object' || meta.files === null) return `${META_FILE} does not describe this entry`;
  for (const [name, expected] of Object.entries(meta.files)) {
    let size: number;
    try {
      size = (await stat(join(dir, name))).size;
    } catch {
      return `${name} is missing`;
    }
    if (size !== expected.size) return `${name} is ${size} bytes, ${expected.size} were written`;
    if (expected.sha256 !== undefined) {
      const digest = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
      if (digest !== expected.sha256) return `${name} does not hash to what was written`;
    }
  }
  if (!(MODEL_FILE in meta.files)) return `${META_FILE} lists no ${MODEL_FILE}`;
  return undefined;
}

function withSessionEntries(options: SessionOptions, entries: Record<string, string>): SessionOptions {
  const extra = options.extra ?? {};
  return { ...options, extra: { ...extra, session: { ...extra.session, ...entries } } };
}

/** The options for loading a cached entry: its weights come from model.data next to the graph, already optimized. */
function loadOptions(options: SessionOptions): SessionOptions {
  const { externalData: _data, ...rest } = options as SessionOptions & { externalData?: unknown };
  const session = { ...rest.extra?.session };
  delete session.model_external_initializers_file_folder_path;
  return { ...rest, graphOptimizationLevel: 'disabled', extra: { ...rest.extra, session } };
}

export interface CachedSessionRequest {
  model: Uint8Array;
  /** The session options as the backend would pass them to onnxruntime (external data included). */
  options: SessionOptions;
  hints: SessionHints;
  create: SessionFactory;
  onnxruntimeVersion: string;
}

/** Opens a session through the cache (see the file header); reports `hit`, `written`, `rebuilt` or `miss` to `hints.onCache`. */
export async function openCachedSession(request: CachedSessionRequest): Promise<InferenceSession> {
  const { model, options, hints, create } = request;
  const warn = hints.onWarning ?? ((m: string) => console.warn(m));
  const report = (s: SessionCacheStatus) => hints.onCache?.(s);
  const root = sessionCacheDir(hints.cache === true || hints.cache === undefined || hints.cache === false ? true : hints.cache);
  const { graph, key } = await sessionCacheKey(model, options, hints.diskFiles ?? [], runtimeIdentity(request.onnxruntimeVersion), hints.label, hints.spilledFiles);
  const entry = join(root, `${graph}-${key}`);
  const what = hints.label ? `the ${hints.label} session` : 'a session';

  let rebuilt = false;
  const problem = await checkEntry(entry, key).catch((err: Error) => err.message);
  const exists = await stat(join(entry, META_FILE)).then(() => true, () => false);
  if (problem === undefined) {
    try {
      const session = await create(join(entry, MODEL_FILE), loadOptions(options));
      report('hit');
      return session;
    } catch (err) {
      warn(`ved: the cached optimized graph of ${what} in ${entry} could not be loaded (${firstLine(err)}); rebuilding it.`);
      rebuilt = true;
    }
  } else if (exists) {
    warn(`ved: the cached optimized graph of ${what} in ${entry} is corrupt (${problem}); rebuilding it.`);
    rebuilt = true;
  }
  if (rebuilt) await rm(entry, { recursive: true, force: true });

  const tmp = join(root, `.tmp-${graph}-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
  let session: InferenceSession;
  try {
    await mkdir(tmp, { recursive: true });
    session = await create(
      model,
      // onnxruntime warns on every write that the graph holds CPU-specific layouts (the key has the CPU model).
      withSessionEntries({ logSeverityLevel: 3, ...options, optimizedModelFilePath: join(tmp, MODEL_FILE) }, {
        optimized_model_external_initializers_file_name: DATA_FILE,
        optimized_model_external_initializers_min_size_in_bytes: String(MIN_EXTERNAL_BYTES),
      }),
    );
  } catch (err) {
    // Writing may fail (disk full, read-only cache); the session itself may still open.
    await rm(tmp, { recursive: true, force: true });
    const plain = await create(model, options);
    warn(`ved: could not write the optimized graph of ${what} to the cache in ${root} (${firstLine(err)}); loading without the cache.`);
    report('miss');
    return plain;
  }
  try {
    await commitEntry(tmp, entry, key, hints.label ?? '', request.onnxruntimeVersion);
    await removeStaleEntries(root, graph, key);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    warn(`ved: could not store the optimized graph of ${what} in the cache in ${root} (${firstLine(err)}).`);
  }
  report(rebuilt ? 'rebuilt' : 'written');
  return session;
}

/** Describes the files of a written entry and renames it into place; a concurrent writer that got there first wins. */
export async function commitEntry(tmp: string, entry: string, key: string, label: string, onnxruntime: string): Promise<void> {
  const files: EntryMeta['files'] = {};
  const graphBytes = await readFile(join(tmp, MODEL_FILE));
  files[MODEL_FILE] = { size: graphBytes.byteLength, sha256: createHash('sha256').update(graphBytes).digest('hex') };
  for (const name of await readdir(tmp)) {
    if (name !== MODEL_FILE) files[name] = { size: (await stat(join(tmp, name))).size };
  }
  const meta: EntryMeta = { format: FORMAT, key, label, files, ved: packageVersion(), onnxruntime };
  await writeFile(join(tmp, META_FILE), `${JSON.stringify(meta, null, 1)}\n`);
  try {
    await rename(tmp, entry);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Entries of the same graph with other weights (the checkpoint was rewritten): no load can use them again. */
async function removeStaleEntries(root: string, graph: string, key: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (name.startsWith(`${graph}-`) && name !== `${graph}-${key}`) await rm(join(root, name), { recursive: true, force: true });
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
}

/** For tests: the version the key is made with. */
export function vedPackageVersion(): string {
  return packageVersion();
}
