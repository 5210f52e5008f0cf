/**
 * Golden tests of DeiT + GPT-2 against Python transformers (fixtures made by
 * tools/reference/make_encoder_fixtures.py): the weight list with its init
 * rules, encoder output and first-step logits within 1e-4, greedy and beam ids
 * identical, pixel_values from the image files within 1e-5, and
 * `interpolate_pos_encoding` (torch bicubic) at other image sizes. The ViT
 * fixture is here too: ViT and DeiT share the position-embedding
 * interpolation, and it has the full set of references.
 */
import { describeEncoderGolden } from '../test-utils/encoder-golden.js';

describeEncoderGolden(['deit-gpt2-a', 'deit-gpt2-b', 'vit-gpt2-interpolate']);
