/**
 * Golden tests of the vit-bert fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden): BERT
 * (2 layers) behind a wider ViT, so enc_to_dec_proj (20 → 16) exists;
 * WordPiece tokenizer; [PAD] is id 0, so beam search fills finished rows with
 * eos (Python's truthiness quirk); padded decoder_attention_mask.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('vit-bert');
