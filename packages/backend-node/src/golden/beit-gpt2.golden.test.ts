/**
 * Golden tests of BEiT + GPT-2 against Python transformers (fixtures made by
 * tools/reference/make_encoder_fixtures.py): the weight list with its init
 * rules, encoder output and first-step logits within 1e-4, greedy and beam ids
 * identical, pixel_values from the image files within 1e-5. Fixture a has a
 * non-square patch grid (the bias-table resize of transformers is not the
 * identity there), per-layer relative bias, layer scale and mean pooling;
 * fixture b a shared bias, absolute positions and a final layer norm. BEiT
 * follows the input size as Python does, checked at other image sizes.
 */
import { describeEncoderGolden } from '../test-utils/encoder-golden.js';

describeEncoderGolden(['beit-gpt2-a', 'beit-gpt2-b']);
