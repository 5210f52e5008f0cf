/**
 * Golden tests of the deit-bart fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden):
 * BART's decoder (1 layer, gelu_new) without generation_config.json:
 * decoder_start/eos/pad and forced_eos_token_id=2 come from the decoder
 * config.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('deit-bart');
