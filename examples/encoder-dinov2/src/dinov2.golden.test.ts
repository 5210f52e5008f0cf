/**
 * DINOv2 against Python transformers 5.18 with @ved/testing (fixtures from
 * examples/fixtures/make_fixtures.py): `weights(config)` vs Python's init, the
 * encoder output within 1e-4 at the config size and, interpolating the
 * position embeddings as `Dinov2Embeddings` always does, at three other sizes;
 * logits within 1e-4, greedy ids identical, the loss, and the pipeline from the
 * image files (BitImageProcessor). dinov2-gpt2: SwiGLU MLP, no qkv bias;
 * dinov2-electra: GELU MLP, non-square input with a square position grid.
 */
import { fileURLToPath } from 'node:url';
import { ImageToText } from '@ved/backend-node';
import { describeEncoderGolden } from '@ved/testing/vitest';
import { dinov2Encoder } from './index.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describeEncoderGolden([`${fixtures}dinov2-gpt2`], {
  plugins: { encoders: [dinov2Encoder] },
  pipeline: { fromPretrained: (dir) => ImageToText.fromPretrained(dir), imageRoot: repoRoot },
});
