/** Node image inputs beyond the conformance suite: http(s) URLs with a size limit, errors naming what is accepted. */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VedError } from '@ved/core';
import { loadNodeImage } from './image-input.js';
import { readImageFile } from './image-decode.js';
import { REPO_ROOT } from './test-utils/fixtures.js';

const PNG = join(REPO_ROOT, 'fixtures/images/rgb_40x30.png');
const bytes = readFileSync(PNG);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/image.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
      res.end(bytes);
    } else if (req.url === '/chunked.png') {
      // No Content-Length: the limit is enforced while reading.
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(bytes.subarray(0, 100));
      res.end(bytes.subarray(100));
    } else {
      res.writeHead(404);
      res.end('missing');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(promise: Promise<unknown>): Promise<VedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(VedError);
    return err as VedError;
  }
  throw new Error('expected a VedError');
}

describe('loadNodeImage', () => {
  it('fetches http URLs (string or URL) and decodes them as the file', async () => {
    const expected = await readImageFile(PNG);
    expect(await loadNodeImage(`${base}/image.png`)).toEqual(expected);
    expect(await loadNodeImage(new URL(`${base}/chunked.png`))).toEqual(expected);
  });

  it('refuses downloads over maxImageBytes, by Content-Length or while reading', async () => {
    const declared = await failure(loadNodeImage(`${base}/image.png`, { maxImageBytes: 100 }));
    expect(declared.code).toBe('IMAGE_TOO_LARGE');
    expect(declared.message).toContain(`is ${bytes.length} bytes, more than the 100 bytes allowed (option maxImageBytes)`);
    const streamed = await failure(loadNodeImage(`${base}/chunked.png`, { maxImageBytes: 100 }));
    expect(streamed.code).toBe('IMAGE_TOO_LARGE');
  });

  it('names a missing URL or file, and lists the accepted inputs for anything else', async () => {
    expect((await failure(loadNodeImage(`${base}/missing.png`))).message).toContain('HTTP 404');
    expect((await failure(loadNodeImage('/nonexistent/x.png'))).code).toBe('FILE_NOT_FOUND');
    const ftp = await failure(loadNodeImage('ftp://example.com/x.png'));
    expect(ftp.code).toBe('INVALID_IMAGE');
    expect(ftp.message).toContain('ftp: URLs are not supported');
    const number = await failure(loadNodeImage(42 as never));
    expect(number.code).toBe('INVALID_IMAGE');
    expect(number.message).toContain('unsupported image input (number 42); expected a file path, a file: URL');
    // The error the issue reported for a Buffer or URL object no longer happens: both decode.
    expect((await loadNodeImage(bytes)).width).toBe(40);
  });

  it('an aborted signal stops before reading', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('stop', 'AbortError'));
    await expect(loadNodeImage(PNG, { signal: controller.signal })).rejects.toThrow('stop');
  });
});
