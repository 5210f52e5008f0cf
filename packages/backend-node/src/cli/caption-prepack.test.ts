/** `ved caption` on one image skips onnxruntime's weight prepacking where it cannot pay off (caption.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oneImagePrepacking } from './caption.js';

const dir = mkdtempSync(join(tmpdir(), 'ved-caption-prepack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('oneImagePrepacking', () => {
  it('keeps the decoder prepacked when steps have several rows (beams, several sequences)', async () => {
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ num_beams: 4 }));
    expect(await oneImagePrepacking(dir, {})).toEqual({ encoder: false, decoder: true });
    expect(await oneImagePrepacking(dir, { numBeams: 1 })).toEqual({ encoder: false, decoder: false });
    expect(await oneImagePrepacking(dir, { numBeams: 1, doSample: true, numReturnSequences: 3 })).toEqual({ encoder: false, decoder: true });
  });

  it('greedy by default: no generation config, or one without beams', async () => {
    expect(await oneImagePrepacking(join(dir, 'missing'), {})).toEqual({ encoder: false, decoder: false });
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'generation_config.json'), JSON.stringify({ max_length: 20 }));
    expect(await oneImagePrepacking(plain, {})).toEqual({ encoder: false, decoder: false });
  });
});
