/**
 * DINOv2 against Python transformers 5.18 with @ved/testing. The fixture comes
 * from the kit's generator (examples/fixtures/dinov2-gpt2.json): DINOv2 with
 * the SwiGLU MLP and no qkv bias behind a GPT-2. Checked: `weights(config)` vs
 * Python's init, the encoder output within 1e-4 at the config size and —
 * interpolating the position embeddings as `Dinov2Embeddings` always does — at
 * three other sizes, first-step and teacher-forced logits within 1e-4, greedy
 * and beam ids identical, the loss; then the image files (BitImageProcessor)
 * through the pipeline. examples/decoder-electra checks DINOv2's other MLP.
 */
import { fileURLToPath } from 'node:url';
import { ImageToText } from '@ved/backend-node';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { describePairGolden } from '@ved/testing/vitest';
import { describeImageFiles } from '../../fixtures/image-files.js';
import { dinov2Encoder } from './index.js';

const fixture = fileURLToPath(new URL('../../fixtures/dinov2-gpt2', import.meta.url));

describePairGolden([fixture], { plugins: { encoders: [dinov2Encoder], decoders: [gpt2Decoder] } });
describeImageFiles([fixture], (dir) => ImageToText.fromPretrained(dir));
