/**
 * DINOv2 against Python transformers 5.18 with @ved/testing. The fixture comes
 * from the kit's generator (examples/fixtures/dinov2-gpt2.json): DINOv2 with
 * the SwiGLU MLP and no qkv bias behind a GPT-2. Checked: `weights(config)` vs
 * Python's init, the encoder output within 1e-4 at the config size and —
 * interpolating the position embeddings as `Dinov2Embeddings` always does — at
 * three other sizes, first-step and teacher-forced logits within 1e-4, greedy
 * and beam ids identical, the loss; then the image files (BitImageProcessor)
 * through the pipeline. examples/decoder-electra checks DINOv2's other MLP.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DirectoryFiles, ImageToText, nodeRuntime } from '@ved/backend-node';
import { VisionEncoderDecoderModel } from '@ved/core';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { describePairGolden } from '@ved/testing/vitest';
import { describeImageFiles } from '../../fixtures/image-files.js';
import { dinov2Encoder } from './index.js';

const fixture = fileURLToPath(new URL('../../fixtures/dinov2-gpt2', import.meta.url));

describePairGolden([fixture], { plugins: { encoders: [dinov2Encoder], decoders: [gpt2Decoder] } });
describeImageFiles([fixture], (dir) => ImageToText.fromPretrained(dir));

describe('any image size, as Python (EncoderPlugin.interpolatesAlways)', () => {
  it('another size needs no interpolatePosEncoding and gives what the option gives', async () => {
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(fixture), nodeRuntime);
    try {
      const [h, w] = model.imageSize;
      const dims: [number, number, number, number] = [1, 3, h + 4, w - 4];
      const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.37));
      const plain = await model.logits({ data, dims }, [[0, 5]]);
      const asked = await model.logits({ data, dims }, [[0, 5]], undefined, { interpolatePosEncoding: true });
      expect(Array.from(plain.data)).toEqual(Array.from(asked.data));
    } finally {
      await model.dispose();
    }
  });
});
