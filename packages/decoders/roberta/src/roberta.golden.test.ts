/**
 * Golden tests of the RoBERTa and XLM-RoBERTa decoders against Python transformers 5.18 (fixtures made
 * by tools/reference/make_decoder_fixtures.py): the weight list against the checkpoint, enc_to_dec_proj,
 * first-step / teacher-forced / padded-mask logits within 1e-4, cached decoding equal to teacher
 * forcing, generation tokens, greedy and beam ids and texts identical.
 * - vit-roberta: 2 layers behind a wider ViT (enc_to_dec_proj); padding-aware positions checked with a
 *   padded decoder_attention_mask, one pass and cached; byte-level BPE.
 * - deit-roberta: an untied head (lm_head.decoder.* saved), relu hidden_act (the lm_head keeps GELU),
 *   no generation_config.json: eos/pad/bos come from the decoder config, the start token falls back to bos.
 * - vit-xlmr: XLM-RoBERTa at the ViT width (no projection), SentencePiece Unigram tokenizer,
 *   padding-aware positions with a padded decoder_attention_mask.
 * - deit-xlmr: XLM-RoBERTa (1 layer) at the DeiT width, SentencePiece Unigram tokenizer.
 * The pipeline and `ved caption` run in backend-node (golden/pipeline.golden.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { deitEncoder } from '@ved/encoder-deit';
import { vitEncoder } from '@ved/encoder-vit';
import { describeDecoderGolden } from '@ved/testing/vitest';
import { robertaDecoder, xlmRobertaDecoder } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/decoders/', import.meta.url));

describeDecoderGolden(
  ['vit-roberta', 'deit-roberta', 'vit-xlmr', 'deit-xlmr'].map((name) => FIXTURES + name),
  { plugins: { encoders: [vitEncoder, deitEncoder], decoders: [robertaDecoder, xlmRobertaDecoder] } },
);
