/**
 * Training in onnxruntime-web (WASM, its Node build): the training graph of
 * every training fixture runs there and gives the gradients onnxruntime-node
 * gives, with dropout on (the masks are integer arithmetic in the graph, so
 * the same seed gives the same masks) and off (then also torch's, see
 * backend-node's training golden test).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryFiles, TrainingSession, VisionEncoderDecoderModel, nodeRuntime, parseSafetensors, type PixelBatch } from '@ved/backend-node';
import { createWebRuntime, type WebRuntime } from './runtime.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/training');
const NAMES = ['vit-gpt2', 'deit-trocr', 'beit-bert', 'swin-bart', 'donut-mbart', 'vit-roberta'];

function load(name: string) {
  const dir = join(FIXTURES, name);
  const json = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { labels: number[][]; loss: number };
  const bytes = readFileSync(join(dir, 'reference.safetensors'));
  const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
  const pixelValues: PixelBatch = { data: tensors.getFloat32('pixel_values'), dims: tensors.info('pixel_values').shape as [number, number, number, number] };
  return { dir, json, tensors, pixelValues };
}

describe('training on onnxruntime-web (WASM)', () => {
  let web: WebRuntime;
  const models: VisionEncoderDecoderModel[] = [];
  afterAll(async () => {
    await Promise.all(models.map((m) => m.dispose()));
  });

  for (const name of NAMES) {
    it(`${name}: loss and every gradient as onnxruntime-node, dropout on and off`, async () => {
      web ??= await createWebRuntime({});
      const ref = load(name);
      // Bytes in memory, as in a browser (onnxruntime-web reads no file paths).
      const files = new DirectoryFiles(ref.dir);
      const inMemory = { location: files.location, exists: (n: string) => files.exists(n), readBytes: (n: string) => files.readBytes(n) };
      const onWeb = await VisionEncoderDecoderModel.fromPretrained(inMemory, web);
      const onNode = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
      models.push(onWeb, onNode);
      const batch = { pixelValues: ref.pixelValues, labels: ref.json.labels };
      for (const dropout of [false, true]) {
        const a = await TrainingSession.create(onWeb, web, { dropout, seed: 5 });
        const b = await TrainingSession.create(onNode, nodeRuntime, { dropout, seed: 5 });
        try {
          const [x, y] = [await a.step(batch), await b.step(batch)];
          expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-5);
          if (!dropout) expect(Math.abs(x.loss - ref.json.loss)).toBeLessThan(1e-5);
          expect([...x.grads.keys()]).toEqual([...y.grads.keys()]);
          let worst = 0;
          for (const [n, g] of x.grads) {
            const h = y.grads.get(n)!;
            for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - h[i]!) / (1e-6 + 1e-4 * Math.abs(h[i]!)));
            if (!dropout) {
              const t = ref.tensors.getFloat32(`grad.${n}`);
              for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - t[i]!) / (1e-6 + 1e-4 * Math.abs(t[i]!)));
            }
          }
          // ≤ 1: within 1e-4 relative (1e-6 absolute) of onnxruntime-node, and of torch without dropout.
          expect(worst).toBeLessThanOrEqual(1);
          if (dropout) {
            // Masks keyed by the position in the run (what the Trainer passes, for exact resume) are the same on both.
            const at = { dropoutStep: 4, microBatch: 1 };
            const [u, v] = [await a.step(batch, at), await b.step(batch, at)];
            expect(Math.abs(u.loss - v.loss)).toBeLessThan(1e-5);
            expect(u.loss).not.toBe(x.loss);
          }
        } finally {
          await a.dispose();
          await b.dispose();
        }
      }
    });
  }
});
