/**
 * GPT-2's golden tests: ViT + GPT-2 against Python transformers 5.18 (fixtures/models, made by
 * tools/reference/make_fixtures.py): GPT-2's weight list against the checkpoint, encoder output,
 * first-step and teacher-forced logits within 1e-4, cached decoding equal to teacher forcing, greedy ids
 * identical, pixel_values from the image files within 1e-5. They live here, not in @ved/decoder-gpt2:
 * ViT's own golden test uses GPT-2, so GPT-2's package cannot take ViT as a devDependency (a cycle).
 */
import { describeDecoderGolden } from '@ved/testing/vitest';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { vitEncoder } from '@ved/encoder-vit';
import { backendPipeline } from '../test-utils/pipeline-hook.js';
import { fixturePath } from '../test-utils/fixtures.js';

describeDecoderGolden(['vit-gpt2-a', 'vit-gpt2-b'].map((name) => fixturePath('models', name)), {
  plugins: { encoders: [vitEncoder], decoders: [gpt2Decoder] },
  pipeline: backendPipeline,
});
