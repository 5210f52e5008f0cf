/**
 * Golden tests of the deit-mbart fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden):
 * mBART's decoder without generation_config.json: no decoder_start in
 * MBartConfig, so generation starts with bos; forced_eos_token_id=2 from the
 * decoder config.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('deit-mbart');
