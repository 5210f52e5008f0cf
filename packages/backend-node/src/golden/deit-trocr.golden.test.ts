/**
 * Golden tests of the deit-trocr fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden): TrOCR
 * with learned positions, layernorm_embedding and relu, narrower DeiT →
 * enc_to_dec_proj (16 → 20, no cross_attention_hidden_size); byte-level BPE.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('deit-trocr');
