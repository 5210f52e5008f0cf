/**
 * Hostile-input catalogue, the command line: each case issue 19 lists, with the
 * exit code and message `ved` must give (the built `dist/cli.js`, as
 * cli.e2e.test.ts runs it). Exit 1 with `ved <command>: error [CODE]: ...` on
 * bad input, 2 on a bad command line, never a stack trace or onnxruntime's
 * "Gather ... out of data bounds".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';

const CLI = join(REPO_ROOT, 'packages/backend-node/dist/cli.js');
const MODEL = fixturePath('models', 'vit-gpt2-a');
const IMAGE = fixturePath('images', 'rgb_64x20.png');

function ved(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` before the tests.`);
  return spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
}

/** A typed failure: exit 1, one `error [CODE]` line, no stack trace, no onnxruntime message. */
function expectTyped(run: ReturnType<typeof ved>, command: string, code: string): string {
  expect(run.status, run.stderr).toBe(1);
  expect(run.stderr).toContain(`ved ${command}: error [${code}]: `);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toContain('out of data bounds');
  return run.stderr;
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ved-hostile-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function modelCopy(name: string, edit: (config: any) => void): string {
  const dir = join(work, name);
  cpSync(MODEL, dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

describe('§3 out-of-range ids and positions', () => {
  it('no eos and max_new_tokens past n_positions=64 → SEQUENCE_TOO_LONG naming max_new_tokens', () => {
    const run = ved(['caption', IMAGE, '--model', MODEL, '--generation-config', '{"eos_token_id": null, "max_new_tokens": 100}']);
    expect(expectTyped(run, 'caption', 'SEQUENCE_TOO_LONG')).toContain('`max_new_tokens` to at most 64 (it is 100)');
  });

  it.each(['1000000', '-3'])('decoder_start_token_id %s → TOKEN_OUT_OF_RANGE', (id) => {
    const run = ved(['caption', IMAGE, '--model', MODEL, '--max-new-tokens', '3', '--generation-config', `{"decoder_start_token_id": ${id}}`]);
    expect(expectTyped(run, 'caption', 'TOKEN_OUT_OF_RANGE')).toContain(`\`decoder_start_token_id\` is ${id}`);
  });

  it('forced_bos_token_id 1000 → TOKEN_OUT_OF_RANGE (it used to force token 0)', () => {
    const run = ved(['caption', IMAGE, '--model', MODEL, '--max-new-tokens', '3', '--generation-config', '{"forced_bos_token_id": 1000}']);
    expectTyped(run, 'caption', 'TOKEN_OUT_OF_RANGE');
  });

  it('ved loss --labels 1000,5,2 → TOKEN_OUT_OF_RANGE naming labels[0][0] and vocab_size', () => {
    const run = ved(['loss', IMAGE, '--model', MODEL, '--labels', '1000,5,2']);
    expect(expectTyped(run, 'loss', 'TOKEN_OUT_OF_RANGE')).toContain('labels[0][0] is 1000');
  });
});

describe('§4 silent acceptance', () => {
  it('a config with fewer layers than its checkpoint: exit 0 with the load report on stderr; --strict → UNEXPECTED_WEIGHTS', () => {
    const dir = modelCopy('fewer-layers', (c) => (c.decoder.n_layer = 1));
    const run = ved(['caption', IMAGE, '--model', dir, '--max-new-tokens', '3']);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('16 checkpoint tensor(s) are not used by the model');
    expectTyped(ved(['caption', IMAGE, '--model', dir, '--max-new-tokens', '3', '--strict']), 'caption', 'UNEXPECTED_WEIGHTS');
  });

  it('hidden_size 999999999 → MODEL_TOO_LARGE', () => {
    const dir = modelCopy('huge', (c) => (c.decoder.n_embd = 999999999));
    expectTyped(ved(['caption', IMAGE, '--model', dir]), 'caption', 'MODEL_TOO_LARGE');
  });

  it('a --model like owner/name that the hub cannot serve says it went to the network and which path was missing', () => {
    const run = ved(['caption', IMAGE, '--model', 'my-models/ocr'], { HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: join(work, 'cache') });
    expect(expectTyped(run, 'caption', 'FILE_NOT_FOUND')).toContain(`my-models/ocr is not a local directory (${resolve(REPO_ROOT, 'my-models/ocr')} does not exist)`);
  });

  it('eval reports the first bad line first', () => {
    const manifest = join(work, 'm.jsonl');
    writeFileSync(manifest, ['gone-1.png', IMAGE, 'gone-3.png'].map((image) => JSON.stringify({ image, text: 'x' })).join('\n'));
    expect(expectTyped(ved(['eval', '--manifest', manifest]), 'eval', 'FILE_NOT_FOUND')).toContain('line 1: image not found');
  });

  it('a command line of 30 kB (800 image paths) runs: onnxruntime-node segfaulted on it (exit 139)', () => {
    const images = Array.from({ length: 800 }, () => 'fixtures/images/rgb_64x20.png');
    const run = ved(['caption', ...images, '--model', MODEL, '--max-new-tokens', '1', '--batch-size', '200']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(800);
  });

  it('a long path is shortened in the message', () => {
    const path = `/tmp/${'d'.repeat(100_000)}.png`;
    const stderr = expectTyped(ved(['caption', path, '--model', MODEL]), 'caption', 'INVALID_IMAGE');
    expect(stderr.length).toBeLessThan(1000);
  });
});

describe('§2 images', () => {
  const bomb = () => {
    const path = join(work, 'bomb.png');
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(16000, 0);
    ihdr.writeUInt32BE(16000, 4);
    ihdr[8] = 8;
    writeFileSync(path, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.alloc(32, 7)), chunk('IEND', Buffer.alloc(0))]));
    return path;
  };

  it('a 16000x16000 PNG → IMAGE_TOO_LARGE before decoding; --max-image-pixels none lets it through to the decoder', () => {
    const path = bomb();
    expect(expectTyped(ved(['caption', path, '--model', MODEL]), 'caption', 'IMAGE_TOO_LARGE')).toContain('--max-image-pixels');
    expectTyped(ved(['caption', path, '--model', MODEL, '--max-image-pixels', 'none']), 'caption', 'INVALID_IMAGE');
    expectTyped(ved(['caption', IMAGE, '--model', MODEL, '--max-image-pixels', '1000']), 'caption', 'IMAGE_TOO_LARGE');
  });

  it('--max-image-pixels takes a positive integer or none (exit 2)', () => {
    const run = ved(['caption', IMAGE, '--model', MODEL, '--max-image-pixels', '0']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--max-image-pixels');
  });

  it('a PNG with a bad CRC names the file, not "Unknown error"', () => {
    const bytes = Buffer.from(readFileSync(IMAGE));
    bytes[8 + 8 + 13] = bytes[8 + 8 + 13]! ^ 0xff; // IHDR's CRC
    const path = join(work, 'bad-crc.png');
    writeFileSync(path, bytes);
    const stderr = expectTyped(ved(['caption', path, '--model', MODEL]), 'caption', 'INVALID_IMAGE');
    expect(stderr).toContain(`${path}: corrupt PNG`);
    expect(stderr).not.toContain('Unknown error');
  });
});
