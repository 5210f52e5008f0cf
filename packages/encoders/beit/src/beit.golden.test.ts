/**
 * Golden tests of BEiT + GPT-2 against Python transformers 5.18 (fixtures made by
 * tools/reference/make_encoder_fixtures.py): the weight list with its init rules, encoder output and
 * first-step logits within 1e-4, greedy and beam ids identical. Fixture a has a non-square patch grid
 * (the bias-table resize of transformers is not the identity there), per-layer relative bias, layer
 * scale and mean pooling; fixture b a shared bias, absolute positions and a final layer norm. BEiT
 * follows the input size as Python does, checked at other image sizes. The pipeline from image files
 * runs in backend-node (golden/pipeline.golden.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { describeEncoderGolden } from '@ved/testing/vitest';
import { beitEncoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/encoders/', import.meta.url));

describeEncoderGolden(
  ['beit-gpt2-a', 'beit-gpt2-b'].map((name) => FIXTURES + name),
  { plugins: { encoders: [beitEncoder], decoders: [gpt2Decoder] } },
);
