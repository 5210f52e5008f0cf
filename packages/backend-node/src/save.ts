/**
 * Writes a checkpoint into a directory the way Python's `save_pretrained`
 * (`transformers/modeling_utils.py`, `PreTrainedModel.save_pretrained`) does:
 * only the files ved writes (config, generation config, weights and their
 * index, ONNX graphs, processor and tokenizer files) are written or replaced,
 * stale weight shards of an earlier save are removed, and everything else in
 * the directory is left alone. The directory may hold the user's own files.
 *
 * Crash safety: every file is first written under a private staging folder
 * inside the target (same file system), then renamed onto its final name, one
 * atomic rename per file, in an order that keeps the directory loadable at
 * every instant: assets and the generation config first, then weight shards
 * and ONNX data, then `config.json`, and the file that decides which weights a
 * loader reads — `model.safetensors` or `model.safetensors.index.json` — last.
 * A staging folder left behind by a killed save is swept by the next save.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { VedError, configJson, writeOnnxExport, type ModelFiles, type OnnxExportOptions, type SaveOptions, type SavedFile, type VisionEncoderDecoderModel } from '@ved/core';
import { DirectoryFiles } from './directory-files.js';

/** Processor and tokenizer files a checkpoint may carry, copied verbatim. */
export const ASSET_FILES = [
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  'sentencepiece.bpe.model',
  'spiece.model',
  'processor_config.json',
];

export interface CopySource {
  /** A checkpoint directory, or any `ModelFiles` (e.g. a hub download). */
  dir: string | ModelFiles;
  /** Which asset files to take from it (default: all of ASSET_FILES present). */
  files?: readonly string[];
}

export interface WriteCheckpointOptions {
  /**
   * Directories the saved model is read from (its checkpoint, the checkpoints
   * assets are copied from). The target may be neither one of them nor inside
   * one: saving over the files a model is being read from is refused.
   */
  sources?: readonly string[];
  /** How the refusal names the target (the CLI says `--out`). Default `the target directory`. */
  targetLabel?: string;
  /**
   * Files this kind of save owns besides the weights: one an earlier save wrote and this one does not is
   * removed with the stale weight files (ved train: `best_model.safetensors`).
   */
  replaces?: readonly string[];
  /** Called after each file is written (staged), moved into place or removed: for progress bars. */
  onProgress?: (event: SaveProgress) => void;
}

export interface SaveProgress {
  phase: 'write' | 'move' | 'remove';
  name: string;
  /** Actions done so far, of `total`. */
  done: number;
  total: number;
}

/** A file's bytes, or the pieces it is written from in turn (`SavedFile.parts`). */
type Contents = Uint8Array | readonly Uint8Array[];

const STAGING_PREFIX = '.ved-saving-';
const SINGLE_WEIGHTS = 'model.safetensors';
const WEIGHTS_INDEX = 'model.safetensors.index.json';
/**
 * Shard names: Python's (`model-00001-of-00003.safetensors`) and the alternate
 * set ved uses when those names are taken (`model-b-00001-of-00003.safetensors`);
 * Python's cleanup in `save_pretrained` (prefix `model`, `(.*?)-\d{5}-of-\d{5}`)
 * recognises both as shards of an earlier save.
 */
const SHARD = /^model(-[a-z])?-\d{5}-of-\d{5}\.safetensors$/;

/**
 * Writes `files` (names may contain sub-directories, e.g. `onnx/…`) plus the
 * asset files of `copies` into `dir`. Returns the names written.
 */
export async function writeCheckpoint(
  dir: string,
  files: readonly SavedFile[],
  copies: readonly CopySource[] = [],
  options: WriteCheckpointOptions = {},
): Promise<string[]> {
  const target = resolve(dir);
  const label = options.targetLabel ?? 'the target directory';
  const sources = [
    ...(options.sources ?? []),
    ...copies.flatMap((c) => (typeof c.dir === 'string' ? [c.dir] : c.dir instanceof DirectoryFiles ? [c.dir.location] : [])),
  ];
  await refuseSourceTarget(target, sources, label);

  // Everything to write, in memory, before the directory is touched (a file of parts as its pieces, not joined).
  const planned = new Map<string, Contents>();
  for (const file of files) planned.set(checkedName(file.name), file.parts ?? file.bytes);
  for (const source of copies) {
    const from = typeof source.dir === 'string' ? new DirectoryFiles(source.dir) : source.dir;
    for (const name of source.files ?? ASSET_FILES) {
      if (!planned.has(name) && (await from.exists(name))) planned.set(name, await from.readBytes(name));
    }
  }

  try {
    await mkdir(target, { recursive: true });
    if (!(await stat(target)).isDirectory()) throw new Error(`${target} exists and is not a directory`);
  } catch (cause) {
    throw new VedError('WRITE_FAILED', `Cannot save the model into ${target}: ${(cause as Error).message}. Nothing was changed there.`, { cause });
  }
  await sweepStaleStaging(target);
  avoidShardCollisions(planned, new Set(await listFiles(target)));

  const staging = join(target, `${STAGING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  const order = commitOrder([...planned.keys()]);
  const stale = await staleWeightFiles(target, planned);
  for (const name of options.replaces ?? []) {
    if (!planned.has(name) && !stale.includes(name) && (await isFile(join(target, checkedName(name))))) stale.push(name);
  }
  const replaced: string[] = [];
  const created: string[] = [];
  const removed: string[] = [];
  let step = 'creating the staging folder';
  let done = 0;
  const total = 2 * order.length + stale.length;
  const progress = (phase: SaveProgress['phase'], name: string) => options.onProgress?.({ phase, name, done: ++done, total });
  try {
    await mkdir(staging);
    for (const name of order) {
      step = `writing ${name}`;
      await writeDurably(join(staging, name), planned.get(name)!);
      progress('write', name);
    }
    for (const name of order) {
      step = `moving ${name} into place`;
      const final = join(target, name);
      const existed = await isFile(final);
      await mkdir(dirname(final), { recursive: true });
      await rename(join(staging, name), final);
      (existed ? replaced : created).push(name);
      progress('move', name);
      // A single weights file shadows an index (loaders read it first): with a sharded
      // save it is removed right after the index lands, the moment the new weights take over.
      if (name === WEIGHTS_INDEX && stale.includes(SINGLE_WEIGHTS)) {
        step = `removing the earlier ${SINGLE_WEIGHTS}`;
        await unlink(join(target, SINGLE_WEIGHTS));
        removed.push(SINGLE_WEIGHTS);
        progress('remove', SINGLE_WEIGHTS);
      }
    }
    for (const name of stale) {
      if (removed.includes(name)) continue;
      step = `removing the stale ${name}`;
      await unlink(join(target, name));
      removed.push(name);
      progress('remove', name);
    }
  } catch (cause) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new VedError('WRITE_FAILED', `Saving to ${target} failed while ${step}: ${(cause as Error).message}. ${changeReport(replaced, created, removed, order)}`, { cause });
  }
  await rm(staging, { recursive: true, force: true });
  return order;
}

/**
 * New shards must not take the names of the shards the current index points
 * to: renamed one by one over them, the folder would hold a mix of old and new
 * tensors until the index lands. When Python's names are taken, the new save
 * uses the next free alternate set (`model-b-…`, `model-c-…`) and its index
 * says so; loaders follow the index's `weight_map`, whatever the names.
 */
function avoidShardCollisions(planned: Map<string, Contents>, existing: ReadonlySet<string>): void {
  const shards = [...planned.keys()].filter((n) => SHARD.test(n));
  const index = planned.get(WEIGHTS_INDEX);
  if (shards.length === 0 || !(index instanceof Uint8Array) || !shards.some((n) => existing.has(n))) return;
  const rest = (name: string) => name.slice(name.search(/-\d{5}-of-/));
  const prefix = ['model', ...'bcdefghijklmnopqrstuvwxyz'.split('').map((c) => `model-${c}`)].find((p) =>
    shards.every((n) => !existing.has(`${p}${rest(n)}`)),
  );
  if (prefix === undefined) return; // 26 shard sets in one folder: keep Python's names.
  const renamed = new Map(shards.map((n) => [n, `${prefix}${rest(n)}`]));
  const parsed = JSON.parse(new TextDecoder().decode(index)) as { weight_map: Record<string, string> };
  for (const [tensor, file] of Object.entries(parsed.weight_map)) parsed.weight_map[tensor] = renamed.get(file) ?? file;
  planned.set(WEIGHTS_INDEX, new TextEncoder().encode(configJson(parsed)));
  for (const [from, to] of renamed) {
    planned.set(to, planned.get(from)!);
    planned.delete(from);
  }
}

/** What a failed save did change, truthfully. */
function changeReport(replaced: string[], created: string[], removed: string[], planned: string[]): string {
  if (replaced.length + created.length + removed.length === 0) return 'Nothing was changed there.';
  const list = (names: string[]) => names.join(', ');
  const parts: string[] = [];
  if (replaced.length > 0) parts.push(`replaced ${list(replaced)}`);
  if (created.length > 0) parts.push(`created ${list(created)}`);
  if (removed.length > 0) parts.push(`removed ${list(removed)}`);
  const untouched = planned.filter((n) => !replaced.includes(n) && !created.includes(n));
  const rest = untouched.length > 0 ? `; not written: ${list(untouched)}` : '';
  return `It had ${parts.join('; ')}${rest}. Other files there were not touched.`;
}

/**
 * Commit order: files no loader decides on first, then weight data, then
 * `config.json`, then the weights index or single weights file.
 */
function commitOrder(names: string[]): string[] {
  const rank = (name: string): number => {
    if (name === SINGLE_WEIGHTS || name === WEIGHTS_INDEX) return 4;
    if (name === 'config.json') return 3;
    if (SHARD.test(name) || name.endsWith('.onnx_data') || name.endsWith('.onnx')) return name.endsWith('.onnx') ? 2 : 1;
    return 0;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Weight files of an earlier save that the new one makes stale, as Python's
 * cleanup in `save_pretrained` finds them (shards matching `-NNNNN-of-NNNNN`
 * not written now), plus the single file or index of the other layout, and
 * ONNX external-data files whose graph is now written without them.
 */
async function staleWeightFiles(target: string, planned: Map<string, Contents>): Promise<string[]> {
  const stale: string[] = [];
  const writesSafetensors = planned.has(SINGLE_WEIGHTS) || planned.has(WEIGHTS_INDEX);
  if (writesSafetensors) {
    for (const name of await listFiles(target)) {
      if (planned.has(name)) continue;
      if (SHARD.test(name) || name === SINGLE_WEIGHTS || name === WEIGHTS_INDEX) stale.push(name);
    }
  }
  for (const name of planned.keys()) {
    if (!name.endsWith('.onnx')) continue;
    const data = `${name}_data`;
    if (!planned.has(data) && (await isFile(join(target, data)))) stale.push(data);
  }
  return stale;
}

/** Removes staging folders of saves whose process is gone (killed mid-save). */
async function sweepStaleStaging(target: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(target, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(entry.name.slice(STAGING_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) continue;
    if (pid === process.pid) continue; // a concurrent save of this process
    await rm(join(target, entry.name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Refuses a target that is, or lies inside, a directory the model is read from. */
async function refuseSourceTarget(target: string, sources: readonly string[], label: string): Promise<void> {
  const real = await realpathOrSelf(target);
  for (const source of sources) {
    const from = await realpathOrSelf(resolve(source));
    const rel = relative(from, real);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
      const where = rel === '' ? 'is' : 'is inside';
      throw new VedError(
        'INVALID_OPTION',
        `${label} ${target} ${where} ${from}, which the model is read from; saving there would overwrite the files being read. Choose another directory.`,
      );
    }
  }
}

/** The real path of `path`, or of its nearest existing ancestor joined with the rest. */
async function realpathOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realpathOrSelf(parent), path.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
  }
}

/** A file name inside the checkpoint: relative, no `..`, no empty parts. */
function checkedName(name: string): string {
  const parts = name.split('/');
  if (name === '' || isAbsolute(name) || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw new VedError('INVALID_OPTION', `Cannot save a file named ${JSON.stringify(name)}: expected a relative path inside the checkpoint directory.`);
  }
  return name;
}

async function writeDurably(path: string, contents: Contents): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'w', 0o666);
  try {
    if (contents instanceof Uint8Array) await handle.writeFile(contents);
    else for (const part of contents) await handle.writeFile(part);
    // Renamed over the old file next: its bytes must be on disk first, or a crash could leave an empty file.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

export interface SavePretrainedOptions extends SaveOptions, OnnxExportOptions, WriteCheckpointOptions {
  /** `safetensors` (default): what Python's `save_pretrained` writes; `onnx`: the Optimum / transformers.js layout. */
  format?: 'safetensors' | 'onnx';
  /** Checkpoints to copy processor and tokenizer files from (e.g. the one the model came from). */
  copyFrom?: readonly CopySource[];
}

/**
 * `save_pretrained`: config.json, generation_config.json, model.safetensors
 * (sharded above `maxShardSize`) — or, with `format: 'onnx'`, the ONNX export
 * layout — plus processor/tokenizer files copied from `copyFrom`. Other files
 * in `dir` are left alone; `dir` may not be the directory the model's weights
 * are read from.
 */
export async function savePretrained(model: VisionEncoderDecoderModel, dir: string, options: SavePretrainedOptions = {}): Promise<string[]> {
  const format = options.format ?? 'safetensors';
  if (format !== 'safetensors' && format !== 'onnx') {
    throw new VedError('INVALID_OPTION', `format is ${JSON.stringify(format)}; expected "safetensors" or "onnx".`);
  }
  const files = format === 'onnx' ? writeOnnxExport(model, options) : model.serialize(options);
  return writeCheckpoint(dir, files, options.copyFrom ?? [], {
    ...options,
    sources: [...(options.sources ?? []), ...(await weightDirectories(model))],
  });
}

/** Directories holding the files a model's weights are read from (none for weights in memory). */
async function weightDirectories(model: VisionEncoderDecoderModel): Promise<string[]> {
  const dirs = new Set<string>();
  for (const name of model.weights.names()) {
    const file = model.weights.sourceOf(name);
    if (isAbsolute(file) && (await isFile(file))) dirs.add(dirname(file));
  }
  return [...dirs];
}

