/**
 * The hub-cache path with the older weights formats: a repository that huggingface_hub cached
 * with only `pytorch_model.bin` (or only `flax_model.msgpack`) loads offline, in transformers'
 * precedence, and gives Python's logits (fixtures/formats/vit-gpt2).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import './register-builtins.js';
import { TorchCheckpoint, VisionEncoderDecoderModel, loadWeights, type PixelBatch } from '@ved/core';
import { hubFiles } from './hub-files.js';
import { nodeRuntime } from './runtime.js';
import { fixturePath, maxAbsDiff } from './test-utils/fixtures.js';

const COMMIT = 'a'.repeat(40);
const cache = mkdtempSync(join(tmpdir(), 'ved-hub-formats-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** Lays `formats` of the vit-gpt2 fixture out as huggingface_hub's cache holds repository `org/<name>`. */
function cacheRepo(name: string, formats: string[]): string {
  const snapshot = join(cache, `models--org--${name}`, 'snapshots', COMMIT);
  mkdirSync(snapshot, { recursive: true });
  for (const format of formats) {
    const dir = fixturePath('formats', 'vit-gpt2', format);
    for (const file of readdirSync(dir)) copyFileSync(join(dir, file), join(snapshot, file));
  }
  mkdirSync(join(cache, `models--org--${name}`, 'refs'), { recursive: true });
  writeFileSync(join(cache, `models--org--${name}`, 'refs', 'main'), COMMIT);
  return `org/${name}`;
}

const ref = JSON.parse(readFileSync(fixturePath('formats', 'vit-gpt2', 'reference.json'), 'utf8')) as {
  pixel_values_shape: number[];
  pixel_values: number[];
  decoder_input_ids: number[][];
  formats: Record<string, { logits: number[] }>;
};

describe('hub cache, offline', () => {
  it('pytorch_model.bin over flax_model.msgpack, with Python\'s logits', async () => {
    const files = await hubFiles(cacheRepo('bin-and-flax', ['flax', 'bin']), { cacheDir: cache, offline: true });
    const weights = await loadWeights(files, { onWarning: () => expect.unreachable('no warning for .bin') });
    expect(weights).toBeInstanceOf(TorchCheckpoint);
    const model = await VisionEncoderDecoderModel.fromPretrained(files, nodeRuntime);
    try {
      const pixelValues: PixelBatch = { data: Float32Array.from(ref.pixel_values), dims: ref.pixel_values_shape as PixelBatch['dims'] };
      const logits = await model.logits(pixelValues, ref.decoder_input_ids);
      expect(maxAbsDiff(logits.data, ref.formats.bin!.logits)).toBeLessThan(1e-4);
    } finally {
      await model.dispose();
    }
  });

  it('flax_model.msgpack alone, with one warning', async () => {
    const files = await hubFiles(cacheRepo('flax-only', ['flax']), { cacheDir: cache, offline: true });
    const warnings: string[] = [];
    await loadWeights(files, { onWarning: (message) => void warnings.push(message) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('flax_model.msgpack');
  });
});
