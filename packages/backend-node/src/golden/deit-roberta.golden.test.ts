/**
 * Golden tests of the deit-roberta fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden):
 * RoBERTa with an untied head (lm_head.decoder.* saved), relu hidden_act (the
 * lm_head keeps GELU), and no generation_config.json: eos/pad/bos come from
 * the decoder config and the start token falls back to bos.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('deit-roberta');
