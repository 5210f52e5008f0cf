/**
 * Hostile-input catalogue, part 5: `ved eval` manifests. The manifest is
 * checked as it streams: the first bad line is reported first (a missing image
 * on line 3 no longer races a missing image on line 1), and memory stays
 * bounded on long files (no array of every entry; see bench/ for the 1M-line run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VedError } from '@ved/core';
import { MAX_MANIFEST_LINE_BYTES, checkManifest, readManifest, streamManifest } from '../eval.js';
import { fixturePath } from '../test-utils/fixtures.js';

const IMAGE = fixturePath('images', 'rgb_64x20.png');
const line = (image: string, text = 'x') => JSON.stringify({ image, text });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ved-manifest-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function manifest(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

async function failure(promise: Promise<unknown>): Promise<VedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

describe('manifests are checked as they stream, first bad line first', () => {
  it('the first of several missing images, even across check windows', async () => {
    const lines = Array.from({ length: 1000 }, () => line(IMAGE));
    lines[2] = line('gone-3.png');
    lines[0] = line('gone-1.png');
    lines[900] = line('gone-901.png');
    const err = await failure(checkManifest(manifest('missing.jsonl', lines)));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain('line 1: image not found');
  });

  it('a missing image before a malformed line is reported first', async () => {
    const path = manifest('order.jsonl', [line(IMAGE), line('gone.png'), line(IMAGE), '{"image": oops}']);
    expect((await failure(checkManifest(path))).message).toContain('line 2: image not found');
    const malformedFirst = manifest('order2.jsonl', [line(IMAGE), '{"image": oops}', line('gone.png')]);
    const err = await failure(checkManifest(malformedFirst));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('line 2: not valid JSON');
  });

  it('counts and streams entries with their line numbers (blank lines and CRLF as before)', async () => {
    const path = join(dir, 'crlf.jsonl');
    writeFileSync(path, `${line(IMAGE, 'a')}\r\n\r\n${line(IMAGE, 'b')}\r\n`);
    expect(await checkManifest(path)).toBe(2);
    const entries = [];
    for await (const e of streamManifest(path)) entries.push(e);
    expect(entries).toEqual([
      { image: IMAGE, text: 'a', line: 1 },
      { image: IMAGE, text: 'b', line: 3 },
    ]);
    expect(await readManifest(path)).toEqual(entries);
  });

  it('a line longer than 1 MiB is refused without reading on (not a manifest)', async () => {
    const path = join(dir, 'long.jsonl');
    writeFileSync(path, `${line(IMAGE)}\n${'x'.repeat(MAX_MANIFEST_LINE_BYTES + 10)}\n${line(IMAGE)}\n`);
    const err = await failure(checkManifest(path));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('line 2: longer than 1048576 bytes');
  });

  it('an empty or missing manifest', async () => {
    expect((await failure(checkManifest(manifest('empty.jsonl', ['', ''])))).message).toContain('lists no images');
    expect((await failure(checkManifest(join(dir, 'nope.jsonl')))).code).toBe('FILE_NOT_FOUND');
  });

  it('multi-byte characters split across read chunks stay whole', async () => {
    const text = 'é€😀'.repeat(30000); // > 64 KiB per line: crosses stream chunks
    const path = manifest('utf8.jsonl', [line(IMAGE, text), line(IMAGE, 'z')]);
    const entries = await readManifest(path);
    expect(entries.map((e) => e.text)).toEqual([text, 'z']);
  });
});
