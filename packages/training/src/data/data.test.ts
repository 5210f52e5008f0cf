/** Collation, epoch order and example checks. */
import { describe, expect, it } from 'vitest';
import { collateLabels } from './collate.js';
import { EpochOrder } from './epoch-order.js';
import { prepareExamples } from './examples.js';

describe('collateLabels', () => {
  it('pads with -100 and shifts right with the start token, -100 → pad (shift_tokens_right)', () => {
    const out = collateLabels([[5, 6, 7], [8]], 1, 0);
    expect(out.labels).toEqual([[5, 6, 7], [8, -100, -100]]);
    expect(out.decoderInputIds).toEqual([[0, 5, 6], [0, 8, 1]]);
    expect(out.tokens).toBe(4);
  });
});

describe('EpochOrder', () => {
  it('keeps the order without shuffling, epoch after epoch', () => {
    const order = new EpochOrder(5, false, 0);
    expect(order.epoch(0)).toEqual([0, 1, 2, 3, 4]);
    expect(order.epoch(3)).toEqual([0, 1, 2, 3, 4]);
  });

  it('draws a seeded permutation per epoch, the same when re-derived (resume)', () => {
    const a = new EpochOrder(50, true, 7);
    const e0 = [...a.epoch(0)];
    const e1 = [...a.epoch(1)];
    const e2 = [...a.epoch(2)];
    expect([...e0].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(e0).not.toEqual(e1);
    const b = new EpochOrder(50, true, 7);
    expect([...b.epoch(2)]).toEqual(e2); // straight to epoch 2
    expect([...b.epoch(0)]).toEqual(e0); // and back
    expect([...new EpochOrder(50, true, 8).epoch(0)]).not.toEqual(e0);
  });
});

describe('prepareExamples', () => {
  const tokenizer = { encode: (text: string) => [...text].map((c) => c.charCodeAt(0) - 96) };
  const options = { tokenizer, vocabSize: 27, label: 'training dataset' };

  it('tokenizes texts, keeps labels, reads async iterables', async () => {
    async function* gen() {
      yield { image: 'a.png', text: 'abc' };
      yield { image: 'b.png', labels: [3, -100, 4] };
    }
    const out = await prepareExamples(gen(), options);
    expect(out.map((e) => e.labels)).toEqual([[1, 2, 3], [3, -100, 4]]);
    expect(out[0]!.where).toBe('training dataset, example 0');
    expect(out[0]!.text).toBe('abc');
  });

  it('appends the end token to texts when asked, within maxTargetLength; labels stay as given', async () => {
    const out = await prepareExamples([{ image: 'a', text: 'abcd' }, { image: 'b', text: 'ab' }, { image: 'c', labels: [1, 2] }], { ...options, eosTokenId: 26, maxTargetLength: 3 });
    expect(out.map((e) => e.labels)).toEqual([[1, 2, 26], [1, 2, 26], [1, 2]]);
  });

  it('names the example on bad input', async () => {
    await expect(prepareExamples([{ image: 'a', text: 'a' }, { image: 'b', labels: [1, 30] }], options)).rejects.toThrow(
      /training dataset, example 1: label 1 is 30, outside the vocabulary \[0, 27\)/,
    );
    await expect(prepareExamples([{ image: 'a', text: 'z{', where: 'train.jsonl, line 4' }], options)).rejects.toThrow(/train.jsonl, line 4: label 1 is 27/);
    await expect(prepareExamples([{ image: 'a', text: 'a', labels: [1] }], options)).rejects.toThrow(/exactly one of "text" or "labels", found both/);
    await expect(prepareExamples([{ image: 'a', labels: [-100] }], options)).rejects.toThrow(/no tokens the loss counts/);
    await expect(prepareExamples([{ image: 'a', text: 'a' }], { vocabSize: 27, label: 'x' })).rejects.toThrow(/has no tokenizer/);
    await expect(prepareExamples([], options)).rejects.toThrow(/holds no examples/);
  });
});
