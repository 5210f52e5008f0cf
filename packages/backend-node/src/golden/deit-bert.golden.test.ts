/**
 * Golden tests of the deit-bert fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden): BERT
 * (1 layer, 4 heads, gelu_new, eps 1e-6, one token type) at the DeiT width (no
 * projection); WordPiece tokenizer.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('deit-bert');
