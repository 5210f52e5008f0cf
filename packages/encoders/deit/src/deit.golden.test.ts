/**
 * Golden tests of DeiT + GPT-2 against Python transformers 5.18 (fixtures made by
 * tools/reference/make_encoder_fixtures.py): the weight list with its init rules, encoder output and
 * first-step logits within 1e-4, greedy and beam ids identical, and `interpolate_pos_encoding` (torch
 * bicubic) at other image sizes. Fixture a has a non-square 16x24 input at the decoder's width; b a
 * square input without qkv bias, gelu_new and an enc_to_dec_proj. The pipeline from image files runs
 * in backend-node (golden/pipeline.golden.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { describeEncoderGolden } from '@ved/testing/vitest';
import { deitEncoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/encoders/', import.meta.url));

describeEncoderGolden(
  ['deit-gpt2-a', 'deit-gpt2-b'].map((name) => FIXTURES + name),
  { plugins: { encoders: [deitEncoder], decoders: [gpt2Decoder] } },
);
