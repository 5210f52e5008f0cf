/**
 * core's OrtRowBatchSession on a real step graph (fixtures/models/vit-gpt2-a):
 * rows that join late, leave early and follow beams give the logits a lone
 * decoding session gives (within float noise), the common padding of the
 * cache is cut once every row has it, and bad arrangements are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VisionEncoderDecoderModel, type EncodedImages, type OrtRowBatchSession, type PixelBatch } from '@ved/core';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { loadModelReference, maxAbsDiff } from '../test-utils/fixtures.js';
import { loneLogits } from '../test-utils/lone-decoding.js';

const ref = loadModelReference('vit-gpt2-a');

describe('OrtRowBatchSession', () => {
  let model: VisionEncoderDecoderModel;
  let pixelValues: PixelBatch;
  let encoded: EncodedImages;
  beforeAll(async () => {
    model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), nodeRuntime);
    pixelValues = { data: ref.tensors.getFloat32('pixel_values'), dims: ref.tensors.info('pixel_values').shape as PixelBatch['dims'] };
    encoded = await model.encode(pixelValues);
  });
  afterAll(() => model?.dispose());

  const lone = (image: number, tokens: number[]) => loneLogits(model, encoded, image, tokens);

  it('rows of different lengths, joining and leaving, match lone sessions; the common padding is cut', async () => {
    const batch = model.startRowBatch() as OrtRowBatchSession;
    expect(batch).toBeDefined();
    const V = model.vocabSize;
    // Row A (image 0) decodes 30 tokens; row B (image 1) joins at step 12; A leaves at step 30, B goes on to step 44.
    const seqA = Array.from({ length: 30 }, (_, i) => (i === 0 ? 298 : (i * 7) % 290));
    const seqB = Array.from({ length: 32 }, (_, i) => (i === 0 ? 298 : (i * 11 + 3) % 290));
    const [expectA, expectB] = await Promise.all([lone(0, seqA), lone(1, seqB)]);
    const widths: number[] = [];
    let worst = 0;
    batch.arrange([{ encoded, image: 0 }]);
    for (let step = 0; step < 44; step++) {
      const rows: Array<'A' | 'B'> = [];
      if (step < 30) rows.push('A');
      if (step >= 12) rows.push('B');
      if (step > 0) {
        // Continue the rows still running (A is row 0 while it runs), add B at step 12.
        const previous: Array<'A' | 'B'> = [];
        if (step - 1 < 30) previous.push('A');
        if (step - 1 >= 12) previous.push('B');
        batch.arrange(rows.map((r) => (previous.includes(r) ? previous.indexOf(r) : { encoded, image: 1 })));
      }
      const tokens = rows.map((r) => (r === 'A' ? seqA[step]! : seqB[step - 12]!));
      const out = await batch.step(tokens);
      rows.forEach((r, i) => {
        const expected = r === 'A' ? expectA[step]! : expectB[step - 12]!;
        worst = Math.max(worst, maxAbsDiff(out.data.subarray(i * V, (i + 1) * V), expected));
      });
      widths.push(batch.cacheWidth);
    }
    expect(worst).toBeLessThan(1e-5);
    // B joined behind 12 masked positions; once A left, the padding was cut.
    expect(widths[20]).toBe(21);
    expect(widths[43]).toBeLessThan(44);
    expect(Math.min(...widths.slice(30))).toBeLessThan(31);
    batch.dispose();
  });

  it('beams: a row listed twice continues its parent\'s cache in both', async () => {
    const batch = model.startRowBatch()!;
    const V = model.vocabSize;
    batch.arrange([{ encoded, image: 2 }, { encoded, image: 2 }]);
    await batch.step([298, 298]);
    await batch.step([5, 9]);
    batch.arrange([1, 1]);
    const out = await batch.step([17, 40]);
    const [a, b] = [await lone(2, [298, 9, 17]), await lone(2, [298, 9, 40])];
    expect(maxAbsDiff(out.data.subarray(0, V), a[2]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(out.data.subarray(V, 2 * V), b[2]!)).toBeLessThan(1e-5);
    batch.dispose();
  });

  it('refuses rows that do not exist, images of another model, and a step without rows', async () => {
    const batch = model.startRowBatch()!;
    expect(() => batch.arrange([0])).toThrow('row 0 does not exist');
    expect(() => batch.arrange([{ encoded: { batchSize: 1 }, image: 0 }])).toThrow('same model');
    expect(() => batch.arrange([{ encoded, image: 9 }])).toThrow('image 9');
    await expect(batch.step([1])).rejects.toThrow('without rows');
    batch.arrange([{ encoded, image: 0 }]);
    await expect(batch.step([1, 2])).rejects.toThrow('one per row');
    batch.dispose();
    expect(() => batch.arrange([])).toThrow('disposed');
  });
});
