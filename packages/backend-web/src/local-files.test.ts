/**
 * onnxruntime-web in Node over a checkpoint on local disk. backend-node's DirectoryFiles offers each
 * file's path, which onnxruntime-node reads weights from directly; onnxruntime-web's WebAssembly module
 * opens no paths ("Module.MountedFiles is not available"), so its runtime says `readsFilePaths: false` and
 * the model hands it the weights as bytes.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryFiles, VisionEncoderDecoderModel, nodeRuntime, type PixelBatch } from '@ved/backend-node';
import { createWebRuntime } from './runtime.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures');
const models: VisionEncoderDecoderModel[] = [];
afterAll(async () => {
  await Promise.all(models.map((m) => m.dispose()));
});

describe('onnxruntime-web reads a checkpoint from local disk', () => {
  for (const [what, dir] of [
    ['model.safetensors', 'models/vit-gpt2-a'],
    ['pytorch_model.bin', 'formats/vit-gpt2/bin'],
  ] as const) {
    it(`${what} through DirectoryFiles: the logits of onnxruntime-node`, async () => {
      const web = await createWebRuntime({});
      expect(web.readsFilePaths).toBe(false);
      const onWeb = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(join(FIXTURES, dir)), web);
      const onNode = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(join(FIXTURES, dir)), nodeRuntime);
      models.push(onWeb, onNode);
      const [h, w] = onNode.imageSize;
      const c = 3;
      const pixels = Float32Array.from({ length: c * h * w }, (_, i) => Math.sin(i * 0.37));
      const input: PixelBatch = { data: pixels, dims: [1, c, h, w] };
      const ids = [[0, 5, 7, 11]];
      const a = (await onWeb.logits(input, ids)).data;
      const b = (await onNode.logits(input, ids)).data;
      expect(a.length).toBe(b.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  }
});
