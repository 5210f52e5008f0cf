/**
 * Golden tests of TrOCR's decoder against Python transformers 5.18 (fixtures made by
 * tools/reference/make_decoder_fixtures.py): the weight list against the checkpoint, enc_to_dec_proj,
 * first-step / teacher-forced / padded-mask logits within 1e-4, cached decoding equal to teacher
 * forcing, generation tokens, greedy and beam ids and texts identical.
 * - vit-trocr: sinusoidal, padding-aware positions and `cross_attention_hidden_size` equal to the ViT
 *   width (keys/values projected from it, no enc_to_dec_proj); the sinusoidal table is also checked on
 *   its own against TrOCRSinusoidalPositionalEmbedding.
 * - deit-trocr: learned positions, layernorm_embedding and relu, narrower DeiT → enc_to_dec_proj
 *   (16 → 20, no cross_attention_hidden_size); byte-level BPE.
 * The pipeline and `ved caption` run in backend-node (golden/pipeline.golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { GraphBuilder } from '@ved/core';
import { deitEncoder } from '@ved/encoder-deit';
import { vitEncoder } from '@ved/encoder-vit';
import { loadGoldenFixture, maxAbsDiff, nodeTestRuntime } from '@ved/testing';
import { describeDecoderGolden } from '@ved/testing/vitest';
import { sinusoidalPositionEmbedding, trocrDecoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/decoders/', import.meta.url));

describeDecoderGolden(
  ['vit-trocr', 'deit-trocr'].map((name) => FIXTURES + name),
  { plugins: { encoders: [vitEncoder, deitEncoder], decoders: [trocrDecoder] } },
);

describe('TrOCR sinusoidal positions', () => {
  it("equal Python's TrOCRSinusoidalPositionalEmbedding table, padding row included", async () => {
    const ref = loadGoldenFixture(`${FIXTURES}vit-trocr`);
    const [rows, dim] = ref.tensors.info('sinusoidal_positions').shape as [number, number];
    const g = new GraphBuilder('sinusoidal_positions');
    const positions = g.input('positions', 'int64', [1, rows]);
    g.output('table', sinusoidalPositionEmbedding(g, positions, dim, ref.json.pad_token_id!), 'float32', [1, rows, dim]);
    const session = await nodeTestRuntime.createSession(g.build().model);
    try {
      const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i));
      const out = await session.run({ positions: nodeTestRuntime.tensor('int64', ids, [1, rows]) });
      expect(maxAbsDiff(out.table!.data as Float32Array, ref.tensors.getFloat32('sinusoidal_positions'))).toBeLessThan(1e-6);
    } finally {
      await session.release();
    }
  });
});
