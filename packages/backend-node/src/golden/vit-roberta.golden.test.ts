/**
 * Golden tests of the vit-roberta fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden):
 * RoBERTa (2 layers) behind a wider ViT (enc_to_dec_proj); padding-aware
 * positions checked with a padded decoder_attention_mask, one pass and cached;
 * byte-level BPE.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('vit-roberta');
