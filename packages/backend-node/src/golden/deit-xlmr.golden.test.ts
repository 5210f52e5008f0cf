/**
 * Golden tests of the deit-xlmr fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden): XLM-
 * RoBERTa (1 layer) at the DeiT width with a SentencePiece Unigram tokenizer.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('deit-xlmr');
