/**
 * Golden tests of the vit-xlmr fixture against Python transformers 5.18
 * (tools/reference/make_decoder_fixtures.py, see describeDecoderGolden): XLM-
 * RoBERTa at the ViT width (no projection) with a SentencePiece Unigram
 * tokenizer; padding-aware positions with a padded decoder_attention_mask.
 */
import '../register-builtins.js';
import { describeDecoderGolden } from '../test-utils/fixtures.js';

describeDecoderGolden('vit-xlmr');
