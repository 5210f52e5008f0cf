/**
 * Golden tests of DonutSwin + GPT-2 against Python transformers (fixtures made
 * by tools/reference/make_encoder_fixtures.py): the weight list with its init
 * rules, encoder output (no final layer norm) and first-step logits within
 * 1e-4, greedy and beam ids identical, and the Donut image processor
 * (align_long_axis, thumbnail, centred padding; a legacy [width, height] size)
 * within 1e-5 of Python's pixel_values.
 */
import { describeEncoderGolden } from '../test-utils/encoder-golden.js';

describeEncoderGolden(['donut-gpt2-a', 'donut-gpt2-b']);
