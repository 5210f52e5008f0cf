/**
 * Golden tests of the BERT decoder against Python transformers 5.18 (fixtures made by
 * tools/reference/make_decoder_fixtures.py): the weight list against the checkpoint, enc_to_dec_proj,
 * first-step / teacher-forced / padded-mask logits within 1e-4, cached decoding equal to teacher
 * forcing, generation tokens, greedy and beam ids and texts identical.
 * - vit-bert: 2 layers behind a wider ViT, so enc_to_dec_proj (20 → 16) exists; WordPiece tokenizer;
 *   [PAD] is id 0, so beam search fills finished rows with eos (Python's truthiness quirk); padded
 *   decoder_attention_mask.
 * - deit-bert: 1 layer, 4 heads, gelu_new, eps 1e-6, one token type, at the DeiT width (no projection).
 * The pipeline and `ved caption` run in backend-node (golden/pipeline.golden.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { deitEncoder } from '@ved/encoder-deit';
import { vitEncoder } from '@ved/encoder-vit';
import { describeDecoderGolden } from '@ved/testing/vitest';
import { bertDecoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/decoders/', import.meta.url));

describeDecoderGolden(
  ['vit-bert', 'deit-bert'].map((name) => FIXTURES + name),
  { plugins: { encoders: [vitEncoder, deitEncoder], decoders: [bertDecoder] } },
);
