/**
 * Golden tests of the vit-trocr fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py): TrOCR with sinusoidal,
 * padding-aware positions and `cross_attention_hidden_size` equal to the ViT
 * width (keys/values projected from it, no enc_to_dec_proj). See
 * describeDecoderGolden; the sinusoidal table is also checked on its own.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '@ved/core';
import { sinusoidalPositionEmbedding } from '@ved/decoder-trocr';
import '../register-builtins.js';
import { nodeRuntime } from '../runtime.js';
import { describeDecoderGolden, loadDecoderReference, maxAbsDiff } from '../test-utils/fixtures.js';

describeDecoderGolden('vit-trocr');

describe('TrOCR sinusoidal positions', () => {
  it("equal Python's TrOCRSinusoidalPositionalEmbedding table, padding row included", async () => {
    const ref = loadDecoderReference('vit-trocr');
    const [rows, dim] = ref.tensors.info('sinusoidal_positions').shape as [number, number];
    const g = new GraphBuilder('sinusoidal_positions');
    const positions = g.input('positions', 'int64', [1, rows]);
    g.output('table', sinusoidalPositionEmbedding(g, positions, dim, ref.json.pad_token_id), 'float32', [1, rows, dim]);
    const session = await nodeRuntime.createSession(g.build().model);
    try {
      const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i));
      const out = await session.run({ positions: nodeRuntime.tensor('int64', ids, [1, rows]) });
      expect(maxAbsDiff(out.table!.data as Float32Array, ref.tensors.getFloat32('sinusoidal_positions'))).toBeLessThan(1e-6);
    } finally {
      await session.release();
    }
  });
});
