/**
 * Golden tests of Swin and DonutSwin + GPT-2 against Python transformers 5.18 (fixtures made by
 * tools/reference/make_encoder_fixtures.py): the weight list with its init rules, encoder output and
 * first-step logits within 1e-4, greedy and beam ids identical. Swin fixture a pads the pixels to patch
 * multiples, pads to window multiples in every stage, pads an odd grid before patch merging and ends in
 * a stage no larger than the window (no shift); fixture b has absolute positions, no qkv bias and
 * mlp_ratio 2.5. DonutSwin has no final layer norm. The pipeline from image files (the Donut image
 * processor: align_long_axis, thumbnail, centred padding, a legacy [width, height] size) runs in
 * backend-node (golden/pipeline.golden.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { describeEncoderGolden } from '@ved/testing/vitest';
import { donutSwinEncoder, swinEncoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/encoders/', import.meta.url));
const plugins = { encoders: [swinEncoder, donutSwinEncoder], decoders: [gpt2Decoder] };

describeEncoderGolden(['swin-gpt2-a', 'swin-gpt2-b'].map((name) => FIXTURES + name), { plugins });
describeEncoderGolden(['donut-gpt2-a', 'donut-gpt2-b'].map((name) => FIXTURES + name), { plugins });
