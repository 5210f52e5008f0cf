/**
 * A tied language-model head read from disk is not held twice (core's `BuildLayout.ownHeadWeights`):
 * onnxruntime repacks the head's own initializer and unmaps it, and the embedding lookup's mapping of
 * the checkpoint keeps only the rows it reads resident. Before, the two shared one initializer, whose
 * mapping stayed with every page touched by the repacking (GPT-2: 147 MiB beside the packed copy).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VisionEncoderDecoderConfig, VisionEncoderDecoderModel, type PixelBatch } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { savePretrained } from './save.js';
import { fixturePath, maxAbsDiff } from './test-utils/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'ved-tied-head-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** KiB of `file` resident in this process's mappings (Linux's /proc/self/smaps). */
function residentKiB(file: string): number {
  let inFile = false;
  let kib = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) inFile = mapping[1] === file;
    else if (inFile) kib += Number(/^Rss:\s+(\d+) kB/.exec(line)?.[1] ?? 0);
  }
  return kib;
}

describe('a tied head on disk', () => {
  it("leaves the checkpoint's embedding table mapped only where it is read, with the same logits", async () => {
    // The fixture's ViT + GPT-2 with a 65536-token vocabulary: a 9 MiB tied table in a 10 MiB checkpoint.
    const raw = JSON.parse(readFileSync(join(fixturePath('models', 'vit-gpt2-a'), 'config.json'), 'utf8'));
    raw.decoder.vocab_size = 65536;
    const made = await VisionEncoderDecoderModel.fromConfig(new VisionEncoderDecoderConfig(raw), nodeRuntime, { seed: 7 });
    const dir = join(root, 'model');
    const [h, w] = made.imageSize;
    const pixels: PixelBatch = { dims: [2, 3, h, w], data: Float32Array.from({ length: 2 * 3 * h * w }, (_, i) => Math.sin(i * 0.37)) };
    const ids = [[0, 5, 60000, 11], [0, 3, 2, 65535]];
    let expected: Float32Array;
    try {
      await savePretrained(made, dir);
      expected = (await made.logits(pixels, ids)).data;
    } finally {
      await made.dispose();
    }
    const file = join(dir, 'model.safetensors');
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    try {
      const logits = await model.logits(pixels, ids);
      expect(maxAbsDiff(logits.data, expected)).toBeLessThan(1e-5);
      // The table is 65536 × 36 floats = 9216 KiB; shared with the repacked head it stayed resident whole.
      expect(residentKiB(file)).toBeLessThan(2048);
    } finally {
      await model.dispose();
    }
  });
});
