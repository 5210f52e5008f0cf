/**
 * Loading over HTTP in Chromium from a local server in the hub's URL layout
 * (`/{repo}/resolve/main/{file}`, large files redirected as the hub does):
 * progress events, sharded weights, the Cache API on a second load, and clear
 * errors for a missing file, an HTTP error status and a truncated download.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '@ved/conformance/hub-server';
import type { DownloadProgress } from '@ved/core';
import { openSuite, type Suite } from './suite.js';

const reference = JSON.parse(readFileSync(join(FIXTURES_DIR, 'models/vit-gpt2-a/reference/reference.json'), 'utf8'));
const IMAGES = (reference.images as string[]).map((p) => p.replace(/^fixtures\//, ''));
const FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

describe('loading over HTTP in Chromium', () => {
  let suite: Suite;
  const repoRequests = (repo: string) => suite.server.log.filter((r) => r.path.startsWith(`/${repo}/`));

  beforeAll(async () => {
    suite = await openSuite({ isolated: true });
    await suite.call('setup', {});
  });
  afterAll(() => suite?.close());

  it('a hub repository id loads with progress events (bytes loaded / total) for every file, and captions as Python', async () => {
    const out = await suite.call('httpLoad', 'ved-test/vit-gpt2-a', { images: IMAGES, maxNewTokens: reference.greedy.max_new_tokens });
    expect(out.location).toBe(`${suite.server.url}/ved-test/vit-gpt2-a/resolve/main`);
    expect(out.result!.sequences).toEqual(reference.greedy.sequences);
    expect(out.result!.texts).toEqual(reference.greedy_text);
    const byFile = new Map<string, DownloadProgress[]>();
    for (const p of out.progress) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
    expect([...byFile.keys()].sort()).toEqual(FILES);
    for (const [file, events] of byFile) {
      const size = readFileSync(join(FIXTURES_DIR, 'models/vit-gpt2-a', file)).length;
      expect(events[0]!.loaded, file).toBe(0);
      expect(events.at(-1), file).toMatchObject({ loaded: size, total: size, done: true, fromCache: false });
      for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
      expect(events.every((e) => e.total === size), `${file}: total known from Content-Length`).toBe(true);
    }
    // The weights came through the hub-style redirect to a content-addressed URL.
    expect(suite.server.log.some((r) => r.path.startsWith('/cdn/'))).toBe(true);
  });

  it('sharded safetensors: the index and every shard load over HTTP, with the same ids', async () => {
    const out = await suite.call('httpLoad', 'ved-test/vit-gpt2-a-sharded', { images: IMAGES, maxNewTokens: reference.greedy.max_new_tokens });
    const files = out.records.map((r) => r.file);
    expect(files).toContain('model.safetensors.index.json');
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThanOrEqual(3);
    expect(out.result!.sequences).toEqual(reference.greedy.sequences);
  });

  it('the Cache API: a second load makes no request and reports every file from the cache', async () => {
    await suite.call('clearCache', 'ved-test-cache');
    const first = await suite.call('httpLoad', 'ved-test/vit-gpt2-b', { cache: 'ved-test-cache' });
    expect(first.records.every((r) => !r.fromCache)).toBe(true);
    const before = repoRequests('ved-test/vit-gpt2-b').length;
    expect(before).toBeGreaterThan(0);
    const second = await suite.call('httpLoad', 'ved-test/vit-gpt2-b', { cache: 'ved-test-cache' });
    expect(repoRequests('ved-test/vit-gpt2-b').length).toBe(before);
    expect(second.records.map((r) => r.file).sort()).toEqual(FILES);
    expect(second.records.every((r) => r.fromCache)).toBe(true);
    expect(second.progress.every((p) => p.fromCache && p.done)).toBe(true);
    expect(second.records.map((r) => r.bytes)).toEqual(first.records.map((r) => r.bytes));
  });

  it('a missing file (404) is a FILE_NOT_FOUND error naming the file and URL', async () => {
    const read = await suite.call('readFile', 'ved-test/no-weights', 'model.safetensors');
    expect(read.error).toMatchObject({ isVedError: true, isHttpError: true, code: 'FILE_NOT_FOUND', reason: 'not-found', status: 404 });
    expect(read.error!.message).toContain('model.safetensors');
    expect(read.error!.message).toContain(`${suite.server.url}/ved-test/no-weights/resolve/main/model.safetensors`);
    const load = await suite.call('httpError', 'ved-test/no-weights');
    expect(load).toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(load!.message).toContain('model.safetensors.index.json');
  });

  it('a truncated download (body shorter than Content-Length) is a clear error, not a corrupt model', async () => {
    const error = await suite.call('httpError', 'ved-test/truncated');
    expect(error).toMatchObject({ isHttpError: true, code: 'FILE_NOT_FOUND', reason: 'truncated' });
    const size = readFileSync(join(FIXTURES_DIR, 'models/vit-gpt2-a/model.safetensors')).length;
    expect(error!.message).toContain('model.safetensors');
    expect(error!.message).toContain(`of ${size} bytes`);
  });

  it('an HTTP error status names the status and the server\'s message', async () => {
    const error = await suite.call('httpError', 'ved-test/server-error');
    expect(error).toMatchObject({ reason: 'status', status: 500 });
    expect(error!.message).toContain('HTTP 500');
    expect(error!.message).toContain('Simulated server failure');
    const unknown = await suite.call('httpError', 'ved-test/does-not-exist');
    expect(unknown).toMatchObject({ reason: 'status', status: 401 });
    expect(unknown!.message).toContain('Repository not found');
    expect(unknown!.message).toContain('private or gated');
  });
});
