/**
 * ELECTRA against Python transformers 5.18 with @ved/testing. Fixtures come
 * from the kit's generator (examples/fixtures/*.json): vit-electra has
 * `embedding_size` 8 != `hidden_size` 12 (embeddings_project) behind a wider
 * ViT (enc_to_dec_proj); dinov2-electra has no projection and an untied
 * generator head, behind the DINOv2 example plugin (GELU MLP, 12x20 input of
 * 3x5 patches). Checked: both plugins' `weights(config)` vs Python, encoder
 * output and interpolation, first-step and teacher-forced logits within 1e-4,
 * cached decoding equal to one pass, greedy and beam ids identical, the loss;
 * then the image files through the pipeline (ids, WordPiece texts, loss).
 */
import { fileURLToPath } from 'node:url';
import { ImageToText } from '@ved/backend-node';
import { describePairGolden } from '@ved/testing/vitest';
import { dinov2Encoder } from 'ved-encoder-dinov2';
import { describeImageFiles } from '../../fixtures/image-files.js';
import { electraDecoder } from './index.js';

const fixtures = ['vit-electra', 'dinov2-electra'].map((name) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url)));

// ViT is a built-in: @ved/backend-node (imported above) registers it to load on first use.
describePairGolden(fixtures, { plugins: { encoders: [dinov2Encoder], decoders: [electraDecoder] } });
describeImageFiles(fixtures, (dir) => ImageToText.fromPretrained(dir));
