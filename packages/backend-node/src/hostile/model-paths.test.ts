/**
 * Hostile-input catalogue, part 4: a `--model` that is not a directory but
 * looks like a hub repository id (`owner/name`), as a mistyped local path
 * often does. Like Python's `from_pretrained`, ved then asks the hub; when that
 * fails, the error says that it went to the network and which local path did
 * not exist.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { VedError } from '@ved/core';
import '../register-builtins.js';
import { ImageToText } from '../pipeline.js';

async function failure(promise: Promise<unknown>): Promise<VedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

describe('a --model that looks like owner/name', () => {
  it('fails to fetch: the message names the local path that was not found and the network attempt', async () => {
    // A closed port: the request fails at once, without leaving the machine.
    const err = await failure(ImageToText.fromPretrained('models/my-ocr', { endpoint: 'http://127.0.0.1:9', cacheDir: false, env: {} }));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain(`models/my-ocr is not a local directory (${resolve('models/my-ocr')} does not exist), so ved looked it up as a hub repository id`);
    expect(err.message).toContain('http://127.0.0.1:9');
  });

  it('offline: the same preamble before the offline-mode explanation', async () => {
    const err = await failure(ImageToText.fromPretrained('models/my-ocr', { env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: '/nonexistent-cache' } }));
    expect(err.message).toContain(`(${resolve('models/my-ocr')} does not exist)`);
    expect(err.message).toContain('offline mode is on');
  });

  it('a path that cannot be a repository id keeps the plain "no such directory" error', async () => {
    const err = await failure(ImageToText.fromPretrained('./models/my-ocr/v2'));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).not.toContain('hub repository id');
  });
});
