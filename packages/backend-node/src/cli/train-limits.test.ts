/**
 * `ved train` takes the hardening flags of the other commands that read
 * images: `--max-image-pixels` refuses an image over the limit before it is
 * decoded (IMAGE_TOO_LARGE naming the manifest line), and `--strict` is
 * accepted as on `ved caption`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fixturePath } from '../test-utils/fixtures.js';
import { runTrain } from './train.js';

const MODEL = fixturePath('optim', 'train');
const tmp = mkdtempSync(join(tmpdir(), 'ved-train-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function trainError(args: string[]): Promise<unknown> {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await runTrain(args);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    vi.restoreAllMocks();
  }
}

describe('ved train --max-image-pixels / --strict', () => {
  it('an image over --max-image-pixels is IMAGE_TOO_LARGE, naming the manifest line; --strict loads a clean checkpoint', async () => {
    // The manifest's images, with paths made absolute for a manifest written elsewhere.
    const lines = readFileSync(join(MODEL, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => {
      const entry = JSON.parse(line) as { image: string };
      return JSON.stringify({ ...entry, image: resolve(MODEL, entry.image) });
    });
    const manifest = join(tmp, 'train.jsonl');
    writeFileSync(manifest, `${lines.join('\n')}\n`);
    const args = ['--model', MODEL, '--manifest', manifest, '--out', join(tmp, 'out'), '--steps', '1', '--batch-size', '2', '--no-dropout', '--no-shuffle'];
    const error = await trainError([...args, '--max-image-pixels', '16']);
    expect(error).toMatchObject({ code: 'IMAGE_TOO_LARGE', message: expect.stringMatching(/train\.jsonl, line 1/) });
    expect(await trainError([...args, '--strict'])).toBeUndefined();
  });
});
