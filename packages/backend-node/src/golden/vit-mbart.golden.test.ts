/**
 * Golden tests of the vit-mbart fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden):
 * mBART's decoder (pre-LN, final layer_norm, scale_embedding) behind a wider
 * ViT (enc_to_dec_proj), with a SentencePiece Unigram tokenizer as Donut has.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('vit-mbart');
