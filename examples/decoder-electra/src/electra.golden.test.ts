/**
 * ELECTRA against Python transformers 5.18 with @ved/testing (fixtures from
 * examples/fixtures/make_fixtures.py): `weights(config)` vs the tensors of
 * Python's freshly initialised checkpoint, first-step and teacher-forced
 * logits within 1e-4, cached decoding equal to one pass, greedy ids identical,
 * the loss, and the pipeline from the image files. vit-electra:
 * `embedding_size` 8 != `hidden_size` 12 (embeddings_project) behind a wider
 * ViT (enc_to_dec_proj); dinov2-electra: no projection, an untied generator
 * head, behind the DINOv2 example plugin.
 */
import { fileURLToPath } from 'node:url';
import { ImageToText } from '@ved/backend-node';
import { describeDecoderGolden, describePairGolden } from '@ved/testing/vitest';
import { dinov2Encoder } from 'ved-encoder-dinov2';
import { electraDecoder } from './index.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const options = {
  plugins: { encoders: [dinov2Encoder], decoders: [electraDecoder] },
  pipeline: { fromPretrained: (dir: string) => ImageToText.fromPretrained(dir), imageRoot: repoRoot },
};

describeDecoderGolden([`${fixtures}vit-electra`], options);
// Both plugins together: DINOv2's weights() is checked too.
describePairGolden([`${fixtures}dinov2-electra`], options);
