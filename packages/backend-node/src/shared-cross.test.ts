/**
 * Shared cross keys/values (core's `crossAttention` with `CrossGroups`): rows
 * of one image that come in groups of one size (beams) read the image's cross
 * keys/values once. Every decoder family's step gives each row the logits a
 * lone session of its image gives, whether its rows are grouped, scattered
 * (one cross row per decoder row) or regrouped by a reorder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VisionEncoderDecoderModel, crossRows, type EncodedImages, type OrtDecodingSession, type PixelBatch } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { fixturePath, maxAbsDiff } from './test-utils/fixtures.js';
import { loneLogits } from './test-utils/lone-decoding.js';

describe('crossRows', () => {
  it('one entry per group of equal size when every group is one image, else one per row', () => {
    expect(crossRows([0, 0, 0, 0, 1, 1, 1, 1], true)).toEqual([0, 1]);
    expect(crossRows([1, 1, 0, 0, 1, 1], true)).toEqual([1, 0, 1]);
    expect(crossRows([0, 0, 0, 0], true)).toEqual([0]);
    expect(crossRows([2, 0, 1], true)).toEqual([2, 0, 1]);
    // Groups of unequal size, or a group of two images: one cross row per decoder row.
    expect(crossRows([0, 0, 0, 1], true)).toEqual([0, 0, 0, 1]);
    expect(crossRows([0, 0, 1, 0], true)).toEqual([0, 0, 1, 0]);
    // A step graph that cannot share always gets one row per row.
    expect(crossRows([0, 0, 1, 1], false)).toEqual([0, 0, 1, 1]);
    expect(crossRows([], true)).toEqual([]);
  });
});

const models: Array<[string, string]> = [
  ['GPT-2', fixturePath('models', 'vit-gpt2-a')],
  ['TrOCR', fixturePath('decoders', 'deit-trocr')],
  ['BART', fixturePath('decoders', 'vit-bart')],
  ['BERT', fixturePath('decoders', 'vit-bert')],
];

describe.each(models)('%s decoder step with shared cross keys/values', (_family, dir) => {
  let model: VisionEncoderDecoderModel;
  let encoded: EncodedImages;
  beforeAll(async () => {
    model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    const [h, w] = model.imageSize;
    const c = 3;
    // Two different images, as the encoder sees them.
    const data = Float32Array.from({ length: 2 * c * h * w }, (_, i) => Math.sin(i * 0.37) * (i < c * h * w ? 1 : -0.5));
    encoded = await model.encode({ data, dims: [2, c, h, w] } as PixelBatch);
  });
  afterAll(() => model?.dispose());


  it('grouped, scattered and regrouped rows give every row its lone logits', async () => {
    const V = model.vocabSize;
    // Six rows: three beams per image, each with its own tokens (ids below every vocabulary here).
    const rowToImage = [0, 0, 0, 1, 1, 1];
    const seqs = rowToImage.map((_, r) => [1, 3 + r, 7 + 2 * r, 11 + r, 2 + r]);
    const expected = await Promise.all(seqs.map((seq, r) => loneLogits(model, encoded, rowToImage[r]!, seq)));
    // After step 1 the rows interleave the images (no groups: one cross row per row); after step 2
    // they are groups of one image again, two beams forking from one parent.
    const orders: Record<number, number[]> = { 1: [0, 3, 1, 4, 2, 5], 2: [0, 0, 4, 1, 3, 3] };
    const s = model.startDecoding(encoded, rowToImage) as OrtDecodingSession;
    const crossRowCounts: number[] = [];
    // Row r continues the tokens of seqs[history[r]].
    let history = rowToImage.map((_, r) => r);
    let worst = 0;
    for (let step = 0; step < 5; step++) {
      crossRowCounts.push(s.crossRowCount);
      const out = await s.step(history.map((h) => [seqs[h]![step]!]));
      history.forEach((h, r) => (worst = Math.max(worst, maxAbsDiff(out.data.subarray(r * V, (r + 1) * V), expected[h]![step]!))));
      const order = orders[step];
      if (order) {
        s.reorder(order);
        history = order.map((i) => history[i]!);
      }
    }
    s.dispose();
    expect(history.map((h) => rowToImage[h])).toEqual([0, 0, 0, 1, 1, 1]);
    // Each image's keys once while grouped, one copy per row while interleaved.
    expect(crossRowCounts).toEqual([2, 2, 6, 2, 2]);
    expect(worst).toBeLessThan(1e-5);
  });

  it('a first step of several tokens per row (a prompt) attends as each row alone', async () => {
    const V = model.vocabSize;
    const rowToImage = [1, 1, 0, 0];
    const prompts = rowToImage.map((_, r) => [1, 4 + r, 9 + r]);
    const s = model.startDecoding(encoded, rowToImage) as OrtDecodingSession;
    expect(s.crossRowCount).toBe(2);
    const out = await s.step(prompts, { allPositions: true });
    s.dispose();
    let worst = 0;
    for (const [r, prompt] of prompts.entries()) {
      const alone = model.startDecoding(encoded, [rowToImage[r]!]);
      const expected = (await alone.step([prompt], { allPositions: true })).data;
      alone.dispose();
      worst = Math.max(worst, maxAbsDiff(out.data.subarray(r * 3 * V, (r + 1) * 3 * V), expected));
    }
    expect(worst).toBeLessThan(1e-5);
  });
});
