/**
 * Golden tests of ViT against Python transformers 5.18 (fixtures vit-gpt2-interpolate and
 * vit-gpt2-grid4x1, ViT paired with a tiny GPT-2, made by tools/reference/make_encoder_fixtures.py): the
 * weight list with its init rules, encoder output and first-step logits within 1e-4, greedy and beam ids
 * identical, and `interpolate_pos_encoding` (torch bicubic) at other image sizes — on the 4x1 grid, as
 * Python views its 4 positions, 2x2. The ViT + GPT-2 fixtures of the
 * original reference (fixtures/models) are GPT-2's golden test, in backend-node (GPT-2's package cannot
 * depend on ViT's while ViT's tests use GPT-2).
 */
import { fileURLToPath } from 'node:url';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { describeEncoderGolden } from '@ved/testing/vitest';
import { vitEncoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/encoders/', import.meta.url));

describeEncoderGolden([`${FIXTURES}vit-gpt2-interpolate`, `${FIXTURES}vit-gpt2-grid4x1`], { plugins: { encoders: [vitEncoder], decoders: [gpt2Decoder] } });
