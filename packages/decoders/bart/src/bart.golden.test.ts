/**
 * Golden tests of the BART and mBART decoders against Python transformers 5.18 (fixtures made by
 * tools/reference/make_decoder_fixtures.py): the weight list against the checkpoint, enc_to_dec_proj,
 * first-step / teacher-forced logits within 1e-4, cached decoding equal to teacher forcing, generation
 * tokens, greedy and beam ids and texts identical.
 * - vit-bart: post-LN, 2 layers, scale_embedding, behind a wider ViT (enc_to_dec_proj);
 *   forced_eos_token_id=2 in generation_config.json forces eos on the last step; byte-level BPE.
 * - deit-bart: 1 layer, gelu_new, no generation_config.json: decoder_start/eos/pad and
 *   forced_eos_token_id=2 come from the decoder config.
 * - vit-mbart: pre-LN, final layer_norm, scale_embedding, behind a wider ViT (enc_to_dec_proj), with a
 *   SentencePiece Unigram tokenizer as Donut has.
 * - deit-mbart: no generation_config.json; MBartConfig has no decoder_start, so generation starts with
 *   bos; forced_eos_token_id=2 from the decoder config.
 * The pipeline and `ved caption` run in backend-node (golden/pipeline.golden.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { deitEncoder } from '@ved/encoder-deit';
import { vitEncoder } from '@ved/encoder-vit';
import { describeDecoderGolden } from '@ved/testing/vitest';
import { bartDecoder, mbartDecoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/decoders/', import.meta.url));

describeDecoderGolden(
  ['vit-bart', 'deit-bart', 'vit-mbart', 'deit-mbart'].map((name) => FIXTURES + name),
  { plugins: { encoders: [vitEncoder, deitEncoder], decoders: [bartDecoder, mbartDecoder] } },
);
