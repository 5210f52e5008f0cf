/**
 * Hostile-input catalogue: the continuous-batching session (`ved serve`)
 * checks ids and positions as plain decoding does, so a row running past the
 * position table is SEQUENCE_TOO_LONG, not onnxruntime's Gather error.
 */
import { describe, expect, it } from 'vitest';
import { VedError, VisionEncoderDecoderModel, type RowBatchSession } from '@ved/core';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { fixturePath } from '../test-utils/fixtures.js';

async function rowBatch(): Promise<{ model: VisionEncoderDecoderModel; batch: RowBatchSession; start: number }> {
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(fixturePath('models', 'vit-gpt2-a')), nodeRuntime);
  const [h, w] = model.imageSize;
  const encoded = await model.encode({ data: new Float32Array(3 * h * w), dims: [1, 3, h, w] });
  const batch = model.startRowBatch()!;
  batch.arrange([{ encoded, image: 0 }]);
  return { model, batch, start: 298 };
}

async function failure(promise: Promise<unknown>): Promise<VedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

describe('row batch limits (vit-gpt2-a: vocab 300, n_positions 64)', () => {
  it('64 steps run, the 65th is SEQUENCE_TOO_LONG', async () => {
    const { model, batch, start } = await rowBatch();
    try {
      for (let i = 0; i < 64; i++) await batch.step([i === 0 ? start : 5]);
      const err = await failure(batch.step([5]));
      expect(err.code).toBe('SEQUENCE_TOO_LONG');
      expect(err.message).toContain('position table holds 64');
    } finally {
      batch.dispose();
      await model.dispose();
    }
  });

  it('a token past the vocabulary is TOKEN_OUT_OF_RANGE', async () => {
    const { model, batch } = await rowBatch();
    try {
      const err = await failure(batch.step([1000]));
      expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    } finally {
      batch.dispose();
      await model.dispose();
    }
  });
});
