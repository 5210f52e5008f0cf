/**
 * Golden tests of Swin + GPT-2 against Python transformers (fixtures made by
 * tools/reference/make_encoder_fixtures.py): the weight list with its init
 * rules, encoder output and first-step logits within 1e-4, greedy and beam ids
 * identical, pixel_values from the image files within 1e-5. Fixture a pads the
 * pixels to patch multiples, pads to window multiples in every stage, pads an
 * odd grid before patch merging and ends in a stage no larger than the window
 * (no shift); fixture b has absolute positions, no qkv bias and mlp_ratio 2.5.
 */
import { describeEncoderGolden } from '../test-utils/encoder-golden.js';

describeEncoderGolden(['swin-gpt2-a', 'swin-gpt2-b']);
