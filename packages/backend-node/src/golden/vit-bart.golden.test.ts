/**
 * Golden tests of the vit-bart fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden):
 * BART's decoder (post-LN, 2 layers, scale_embedding) behind a wider ViT
 * (enc_to_dec_proj); forced_eos_token_id=2 in generation_config.json forces
 * eos on the last step; byte-level BPE.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('vit-bart');
