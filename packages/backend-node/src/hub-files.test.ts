/**
 * `ImageToText.fromPretrained('<repo id>')` on Node: fetch from a hub-layout
 * server (the conformance package's test server), huggingface_hub's cache
 * layout under HF_HUB_CACHE / HF_HOME, offline mode (HF_HUB_OFFLINE=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { VedError } from '@ved/core';
import { startHubServer, type HubServer } from '../../conformance/src/hub-server.js';
import { hfHome, hubCacheDir, hubFiles, isOfflineMode, openModelFiles } from './hub-files.js';
import { ImageToText } from './pipeline.js';
import { DirectoryFiles } from './directory-files.js';
import { fixturePath, loadModelReference } from './test-utils/fixtures.js';

const ref = loadModelReference('vit-gpt2-a');
const images = ref.json.images.map((p) => fixturePath('..', p));
let server: HubServer;
let work: string;

beforeAll(async () => {
  server = await startHubServer();
  work = mkdtempSync(join(tmpdir(), 'ved-hub-'));
});
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

const requestsTo = (repo: string) => server.log.filter((r) => r.path.startsWith(`/${repo}/`) || r.path.startsWith('/cdn/'));

describe('environment, as huggingface_hub reads it', () => {
  it('HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe('/a');
    expect(hubCacheDir({ HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe('/b');
    expect(hubCacheDir({ HF_HOME: '/c' })).toBe('/c/hub');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    expect(hubCacheDir({})).toBe(join(homedir(), '.cache/huggingface/hub'));
    expect(hfHome({ HF_HOME: '~/hf' })).toBe(join(homedir(), 'hf'));
  });

  it('offline mode: HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE set to 1/ON/YES/TRUE', () => {
    expect(isOfflineMode({ HF_HUB_OFFLINE: '1' })).toBe(true);
    expect(isOfflineMode({ HF_HUB_OFFLINE: 'true' })).toBe(true);
    expect(isOfflineMode({ TRANSFORMERS_OFFLINE: 'YES' })).toBe(true);
    expect(isOfflineMode({ HF_HUB_OFFLINE: '0' })).toBe(false);
    expect(isOfflineMode({})).toBe(false);
  });
});

describe('fromPretrained with a repository id', () => {
  it('downloads into the hub cache layout and captions as Python', async () => {
    const cache = join(work, 'hub');
    const pipe = await ImageToText.fromPretrained('ved-test/vit-gpt2-a', { env: { HF_HUB_CACHE: cache, HF_ENDPOINT: server.url } });
    try {
      const out = await pipe.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens });
      expect(out.sequences).toEqual(ref.json.greedy.sequences);
      expect(out.texts).toEqual(ref.json.greedy_text);
    } finally {
      await pipe.dispose();
    }
    const repo = join(cache, 'models--ved-test--vit-gpt2-a');
    const commit = readFileSync(join(repo, 'refs', 'main'), 'utf8');
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    for (const file of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      const pointer = join(repo, 'snapshots', commit, file);
      expect(lstatSync(pointer).isSymbolicLink()).toBe(true);
      expect(readlinkSync(pointer)).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{40,64}$/);
      expect(readFileSync(pointer)).toEqual(readFileSync(join(ref.dir, file)));
    }
    // Large files are named by their sha256, as the hub's X-Linked-Etag says.
    expect(readlinkSync(join(repo, 'snapshots', commit, 'model.safetensors'))).toMatch(/blobs\/[0-9a-f]{64}$/);
  });

  it('a second online load revalidates with HEAD requests only; offline it makes none', async () => {
    const cache = join(work, 'hub');
    const env = { HF_HUB_CACHE: cache, HF_ENDPOINT: server.url };
    server.log.length = 0;
    await (await ImageToText.fromPretrained('ved-test/vit-gpt2-a', { env })).dispose();
    expect(requestsTo('ved-test/vit-gpt2-a').length).toBeGreaterThan(0);
    expect(requestsTo('ved-test/vit-gpt2-a').every((r) => r.method === 'HEAD')).toBe(true);
    server.log.length = 0;
    const offline = await ImageToText.fromPretrained('ved-test/vit-gpt2-a', { env: { ...env, HF_HUB_OFFLINE: '1' } });
    try {
      expect((await offline.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens })).sequences).toEqual(ref.json.greedy.sequences);
    } finally {
      await offline.dispose();
    }
    expect(server.log).toEqual([]);
  });

  it('HF_HOME places the cache in $HF_HOME/hub; sharded weights load and cache too', async () => {
    const home = join(work, 'hf-home');
    const pipe = await ImageToText.fromPretrained('ved-test/vit-gpt2-a-sharded', { env: { HF_HOME: home, HF_ENDPOINT: server.url } });
    try {
      expect((await pipe.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens })).sequences).toEqual(ref.json.greedy.sequences);
    } finally {
      await pipe.dispose();
    }
    const snapshots = join(home, 'hub', 'models--ved-test--vit-gpt2-a-sharded', 'snapshots');
    expect(existsSync(snapshots)).toBe(true);
  });

  it('offline and not cached: FILE_NOT_FOUND naming the repository, the cache and HF_HUB_OFFLINE', async () => {
    const error = await ImageToText.fromPretrained('ved-test/vit-gpt2-b', { env: { HF_HUB_CACHE: join(work, 'empty'), HF_HUB_OFFLINE: '1', HF_ENDPOINT: server.url } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VedError);
    expect((error as VedError).code).toBe('FILE_NOT_FOUND');
    const { message } = error as VedError;
    for (const part of ['ved-test/vit-gpt2-b', 'HF_HUB_OFFLINE', 'not in the hub cache', join(work, 'empty')]) expect(message).toContain(part);
  });

  it('a missing file is remembered in .no_exist, so offline loads know it is absent', async () => {
    const cache = join(work, 'hub');
    const files = await hubFiles('ved-test/vit-gpt2-a', { env: { HF_HUB_CACHE: cache, HF_ENDPOINT: server.url } });
    expect(await files.exists('model.safetensors.index.json')).toBe(false);
    const commit = readFileSync(join(cache, 'models--ved-test--vit-gpt2-a', 'refs', 'main'), 'utf8');
    expect(existsSync(join(cache, 'models--ved-test--vit-gpt2-a', '.no_exist', commit, 'model.safetensors.index.json'))).toBe(true);
  });

  it('HTTP errors name the repository; an existing directory always wins over a repository id', async () => {
    const error = await ImageToText.fromPretrained('ved-test/no-weights', { env: { HF_HUB_CACHE: join(work, 'hub2'), HF_ENDPOINT: server.url } }).then(
      () => undefined,
      (e: unknown) => e as VedError,
    );
    expect(error?.message).toContain('model.safetensors.index.json');
    expect(await openModelFiles(ref.dir)).toBeInstanceOf(DirectoryFiles);
  });
});
