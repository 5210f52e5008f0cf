/**
 * The optimized-session cache (session-cache.ts) on the tiny ViT + GPT-2 fixture: a miss writes an entry
 * and the next load reads it, with outputs identical to a load without the cache; changed weights,
 * options or versions miss; a corrupt entry is rebuilt with a warning; concurrent writers leave one
 * whole entry; `cache: false` touches nothing.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VisionEncoderDecoderModel, type LoadOptions, type LoadTiming } from '@ved/core';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { DATA_FILE, META_FILE, MODEL_FILE, commitEntry, defaultCacheDir, runtimeIdentity, sessionCacheKey } from './session-cache.js';
import { fixturePath } from './test-utils/fixtures.js';
import './register-builtins.js';

const work = mkdtempSync(join(tmpdir(), 'ved-session-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A private copy of the fixture checkpoint (its files' identity is part of the key). */
function checkpoint(): string {
  const dir = join(work, `model-${n++}`);
  cpSync(fixturePath('models', 'vit-gpt2-a'), dir, { recursive: true });
  return dir;
}

interface Loaded {
  logits: Float32Array;
  sessions: Record<string, LoadTiming['cache']>;
  warnings: string[];
}

async function load(dir: string, options: LoadOptions): Promise<Loaded> {
  const sessions: Record<string, LoadTiming['cache']> = {};
  const warnings: string[] = [];
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime, {
    ...options,
    onWarning: (m) => warnings.push(m),
    onTiming: (t) => {
      if (t.phase.startsWith('session ')) sessions[t.phase.slice('session '.length)] = t.cache;
    },
  });
  try {
    const [h, w] = model.imageSize;
    const pixels = Float32Array.from({ length: 3 * h * w }, (_, i) => Math.sin(i * 0.37));
    const logits = await model.logits({ dims: [1, 3, h, w], data: pixels }, [[0, 5, 7, 11]]);
    return { logits: logits.data, sessions, warnings };
  } finally {
    await model.dispose();
  }
}

const entries = (cache: string) => (existsSync(join(cache, 'sessions')) ? readdirSync(join(cache, 'sessions')).sort() : []);

describe('the optimized-session cache', () => {
  it('writes on the first load, reads on the second, and the outputs equal a load without it', async () => {
    const dir = checkpoint();
    const cache = join(work, 'cache-a');
    const plain = await load(dir, {});
    expect(plain.sessions).toEqual({ encoder: 'off', decoder: 'off' });
    const first = await load(dir, { sessionCache: cache });
    expect(first.sessions).toEqual({ encoder: 'written', decoder: 'written' });
    const names = entries(cache);
    expect(names).toHaveLength(2);
    for (const name of names) expect(readdirSync(join(cache, 'sessions', name)).sort()).toEqual([META_FILE, DATA_FILE, MODEL_FILE].sort());
    const second = await load(dir, { sessionCache: cache });
    expect(second.sessions).toEqual({ encoder: 'hit', decoder: 'hit' });
    expect(second.warnings).toEqual([]);
    expect(first.logits).toEqual(plain.logits);
    expect(second.logits).toEqual(plain.logits);
  });

  it('misses when the weight file changes, and drops the entries of the old weights', async () => {
    const dir = checkpoint();
    const cache = join(work, 'cache-b');
    await load(dir, { sessionCache: cache });
    const before = entries(cache);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'model.safetensors'), later, later);
    const again = await load(dir, { sessionCache: cache });
    expect(again.sessions).toEqual({ encoder: 'written', decoder: 'written' });
    const after = entries(cache);
    expect(after).toHaveLength(2);
    expect(after.some((e) => before.includes(e))).toBe(false);
    expect((await load(dir, { sessionCache: cache })).sessions).toEqual({ encoder: 'hit', decoder: 'hit' });
  });

  it('misses when the dtype or the session options change, and keeps each variant', async () => {
    const dir = checkpoint();
    const cache = join(work, 'cache-c');
    await load(dir, { sessionCache: cache });
    // The tiny encoder's matrices are below q8's size threshold, so its graph is fp32's, but its session
    // options are not (on Node a quantized model's encoder runs without onnxruntime's arena): a new entry.
    expect((await load(dir, { sessionCache: cache, dtype: 'q8' })).sessions).toEqual({ encoder: 'written', decoder: 'written' });
    // The same graph with the arena's option as fp32 has it: fp32's entry.
    expect((await load(dir, { sessionCache: cache, dtype: 'q8', memoryArena: { encoder: true } })).sessions).toEqual({ encoder: 'hit', decoder: 'hit' });
    expect((await load(dir, { sessionCache: cache, sessionOptions: { intraOpNumThreads: 1 } })).sessions).toEqual({ encoder: 'written', decoder: 'written' });
    expect(entries(cache)).toHaveLength(6);
    const q8 = await load(dir, { sessionCache: cache, dtype: 'q8' });
    expect(q8.sessions).toEqual({ encoder: 'hit', decoder: 'hit' });
    expect(q8.logits).toEqual((await load(dir, { dtype: 'q8' })).logits);
  });

  it('keys on ved\'s and onnxruntime\'s versions and the machine', async () => {
    const model = new Uint8Array([1, 2, 3]);
    const base = runtimeIdentity('1.30.0');
    const key = (id = base) => sessionCacheKey(model, {}, [], id);
    const k = await key();
    expect(await key()).toEqual(k);
    expect((await key({ ...base, onnxruntime: '1.31.0' })).key).not.toBe(k.key);
    expect((await key({ ...base, ved: '9.9.9' })).key).not.toBe(k.key);
    expect((await key({ ...base, cpu: 'another CPU' })).key).not.toBe(k.key);
    // In-memory weights: their names are per process, their bytes are the key.
    const withData = (path: string, byte: number) => sessionCacheKey(new TextEncoder().encode(path), { externalData: [{ path, data: new Uint8Array([byte]) }] } as never, [], base);
    expect(await withData('ved_weight_3.bin', 1)).toEqual(await withData('ved_weight_8.bin', 1));
    expect((await withData('ved_weight_3.bin', 1)).key).not.toBe((await withData('ved_weight_3.bin', 2)).key);
  });

  it('keys the files a weight spill wrote by their content, not their temporary path', async () => {
    const base = runtimeIdentity('1.30.0');
    const dir = mkdtempSync(join(tmpdir(), 'ved-spill-key-'));
    try {
      const spilled = (folder: string, byte: number) => {
        mkdirSync(join(dir, folder), { recursive: true });
        const file = join(dir, folder, 'weights.bin');
        writeFileSync(file, new Uint8Array(4096).fill(byte));
        // The graph names the file relative to the root, as graph-builder.ts writes it.
        return sessionCacheKey(new TextEncoder().encode(`graph ${file.slice(1)} offset 0`), {}, [file], base, 'decoder', [file]);
      };
      expect(await spilled('ved-weights-aaaaaa', 1)).toEqual(await spilled('ved-weights-bbbbbb', 1));
      expect((await spilled('ved-weights-aaaaaa', 1)).key).not.toBe((await spilled('ved-weights-cccccc', 2)).key);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a truncated data file', (e: string) => truncateSync(join(e, DATA_FILE), 100)],
    ['a changed graph file', (e: string) => {
      const bytes = readFileSync(join(e, MODEL_FILE));
      const at = bytes.length >> 1;
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(join(e, MODEL_FILE), bytes);
    }],
    ['an unreadable meta.json', (e: string) => writeFileSync(join(e, META_FILE), '{not json')],
    ['a missing graph file', (e: string) => rmSync(join(e, MODEL_FILE))],
  ])('rebuilds an entry with %s, with a warning', async (_what, corrupt) => {
    const dir = checkpoint();
    const cache = join(work, `cache-corrupt-${n}`);
    const plain = await load(dir, { sessionCache: cache });
    for (const name of entries(cache)) corrupt(join(cache, 'sessions', name));
    const rebuilt = await load(dir, { sessionCache: cache });
    expect(rebuilt.sessions).toEqual({ encoder: 'rebuilt', decoder: 'rebuilt' });
    expect(rebuilt.warnings).toHaveLength(2);
    expect(rebuilt.warnings[0]).toMatch(/corrupt|could not be loaded/);
    expect(rebuilt.logits).toEqual(plain.logits);
    expect((await load(dir, { sessionCache: cache })).sessions).toEqual({ encoder: 'hit', decoder: 'hit' });
  });

  it('lets concurrent writers leave one whole entry per graph', async () => {
    const dir = checkpoint();
    const cache = join(work, 'cache-concurrent');
    const results = await Promise.all([load(dir, { sessionCache: cache }), load(dir, { sessionCache: cache }), load(dir, { sessionCache: cache })]);
    for (const r of results) expect(r.logits).toEqual(results[0]!.logits);
    const names = entries(cache);
    expect(names).toHaveLength(2);
    expect(names.every((e) => !e.startsWith('.tmp-'))).toBe(true);
    expect((await load(dir, { sessionCache: cache })).sessions).toEqual({ encoder: 'hit', decoder: 'hit' });
  });

  it('a writer that finds its entry already in place drops its own copy', async () => {
    const root = join(work, 'commit');
    const entry = join(root, 'g-k');
    for (const d of [entry, join(root, '.tmp-mine')]) {
      await mkdir(d, { recursive: true });
      await writeFile(join(d, MODEL_FILE), d);
    }
    await commitEntry(join(root, '.tmp-mine'), entry, 'k', 'encoder', '1.30.0');
    expect(await readdir(root)).toEqual(['g-k']);
    expect(readFileSync(join(entry, MODEL_FILE), 'utf8')).toBe(entry);
  });

  it('cache: false reads and writes nothing', async () => {
    const dir = checkpoint();
    const cache = join(work, 'cache-off');
    const off = await load(dir, { sessionCache: false });
    expect(off.sessions).toEqual({ encoder: 'off', decoder: 'off' });
    expect(existsSync(cache)).toBe(false);
  });

  it('lives in $VED_CACHE_DIR, else $XDG_CACHE_HOME/ved, else ~/.cache/ved', () => {
    expect(defaultCacheDir({ VED_CACHE_DIR: '/x/ved-cache', XDG_CACHE_HOME: '/y' })).toBe('/x/ved-cache');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/ved');
    expect(defaultCacheDir({})).toMatch(/\.cache\/ved$/);
  });
});
