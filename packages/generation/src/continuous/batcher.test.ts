/**
 * The continuous batcher on a fake model whose logits are a pure function of
 * (image, the row's tokens so far): whatever shares the batch, every request
 * must get exactly what `generate()` alone gives. Both row-batch kinds run:
 * one that mixes lengths in a step (as ved's step graph does) and the grouped
 * fallback over plain decoding sessions. Real models: packages/backend-node/src/serve.
 */
import { describe, expect, it } from 'vitest';
import {
  VedError,
  type DecodingSession,
  type EncodedImages,
  type EncoderDecoderLM,
  type PixelBatch,
  type RowBatchSession,
  type RowSource,
  type StepLogits,
} from '@ved/core';
import { generate, type GenerateInputs } from '../generate.js';
import { generateStream } from '../generate-stream.js';
import type { GenerationOptions } from '../generation-config.js';
import { ContinuousBatcher, type StepInfo } from './batcher.js';

const V = 12;
const START = 10;
const EOS = 11;
const PAD = 0;

/** Deterministic logits of the next token after `history` for an image. */
function logitsFor(image: number, history: readonly number[], out: Float32Array, at: number): void {
  let h = Math.imul(image + 7, 2654435761) >>> 0;
  for (const t of history) h = Math.imul(h ^ (t + 31), 2246822519) >>> 0;
  for (let v = 0; v < V; v++) {
    const x = Math.imul(h ^ (v * 97 + 13), 3266489917) >>> 0;
    out[at + v] = Math.fround(((x % 2000) / 1000 - 1) * 3 + (v === EOS ? (history.length - 4) * 0.9 : 0));
  }
}

function logSoftmaxRows(data: Float32Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length / V; r++) {
    const row = data.subarray(r * V, (r + 1) * V);
    const max = Math.max(...row);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const lse = max + Math.log(sum);
    row.forEach((x, v) => (out[r * V + v] = Math.fround(x - lse)));
  }
  return out;
}

interface Row {
  image: number;
  history: number[];
}

class FakeEncoded implements EncodedImages {
  constructor(readonly values: number[]) {}
  get batchSize(): number {
    return this.values.length;
  }
}

function stepRows(rows: Row[], tokens: readonly number[], logProbs: boolean | undefined): StepLogits {
  const data = new Float32Array(rows.length * V);
  rows.forEach((row, r) => {
    row.history.push(tokens[r]!);
    logitsFor(row.image, row.history, data, r * V);
  });
  return { data, rows: rows.length, positions: 1, vocab: V, ...(logProbs ? { logProbs: logSoftmaxRows(data) } : {}) };
}

class FakeModel implements EncoderDecoderLM {
  readonly vocabSize = V;
  readonly encoderModelType = 'vit';
  encodes: number[] = [];
  failStepAfter = Infinity;
  private steps = 0;

  constructor(private readonly mixed: boolean) {}

  async encode(pixelValues: PixelBatch): Promise<EncodedImages> {
    this.encodes.push(pixelValues.dims[0]);
    await new Promise((resolve) => setTimeout(resolve, 1));
    const size = pixelValues.data.length / pixelValues.dims[0];
    return new FakeEncoded(Array.from({ length: pixelValues.dims[0] }, (_, i) => pixelValues.data[i * size]!));
  }

  private tick(): void {
    if (++this.steps > this.failStepAfter) throw new VedError('RUNTIME', 'the graph run failed');
  }

  startDecoding(encoded: EncodedImages, rowToImage: readonly number[]): DecodingSession {
    const values = (encoded as FakeEncoded).values;
    let rows: Row[] = rowToImage.map((i) => ({ image: values[i]!, history: [] }));
    const model = this;
    return {
      get rows() {
        return rows.length;
      },
      get length() {
        return rows[0]?.history.length ?? 0;
      },
      async step(tokens, options = {}) {
        model.tick();
        await new Promise((resolve) => setTimeout(resolve, 0));
        // Plain sessions take whole prompts; the batch feeds one token per step.
        const out = new Float32Array(rows.length * V);
        rows.forEach((row, r) => {
          row.history.push(...tokens[r]!);
          logitsFor(row.image, row.history, out, r * V);
        });
        return { data: out, rows: rows.length, positions: 1, vocab: V, ...(options.logProbs ? { logProbs: logSoftmaxRows(out) } : {}) };
      },
      reorder(indices) {
        rows = indices.map((i) => ({ image: rows[i]!.image, history: [...rows[i]!.history] }));
      },
      dispose() {},
    };
  }

  startRowBatch(): RowBatchSession | undefined {
    if (!this.mixed) return undefined;
    let rows: Row[] = [];
    const model = this;
    return {
      get rows() {
        return rows.length;
      },
      arrange(sources: readonly RowSource[]) {
        rows = sources.map((s) =>
          typeof s === 'number' ? { image: rows[s]!.image, history: [...rows[s]!.history] } : { image: (s.encoded as FakeEncoded).values[s.image]!, history: [] },
        );
      },
      async step(tokens, options = {}) {
        model.tick();
        await new Promise((resolve) => setTimeout(resolve, 0));
        return stepRows(rows, tokens, options.logProbs);
      },
      dispose() {
        rows = [];
      },
    };
  }
}

const CONFIG: GenerationOptions = { decoderStartTokenId: START, eosTokenId: EOS, padTokenId: PAD };

function pixels(...values: number[]): PixelBatch {
  const data = new Float32Array(values.length * 3 * 2 * 2);
  values.forEach((v, i) => data.fill(v, i * 12, (i + 1) * 12));
  return { data, dims: [values.length, 3, 2, 2] };
}

const CASES: Array<{ images: number[]; options: GenerationOptions; prompt?: number[][] }> = [
  { images: [1], options: { maxNewTokens: 9 } },
  { images: [2], options: { maxNewTokens: 4 } },
  { images: [3, 4], options: { maxNewTokens: 12, repetitionPenalty: 1.7 } },
  { images: [5], options: { maxNewTokens: 10, noRepeatNgramSize: 2, minNewTokens: 6 } },
  { images: [6], options: { maxNewTokens: 10, doSample: true, seed: 11, topK: 5, temperature: 0.8 } },
  { images: [6], options: { maxNewTokens: 10, doSample: true, seed: 12 } },
  { images: [7], options: { maxNewTokens: 8, numBeams: 3, lengthPenalty: 0.5, returnDictInGenerate: true, outputScores: true } },
  { images: [8, 9], options: { maxNewTokens: 7, numBeams: 2, numReturnSequences: 2 } },
  { images: [10], options: { maxNewTokens: 6, numBeams: 2, doSample: true, seed: 5 } },
  { images: [11], options: { maxNewTokens: 6, doSample: true, seed: 3, numReturnSequences: 3 } },
  { images: [12], options: { maxNewTokens: 8 }, prompt: [[START, 3, 4]] },
  { images: [13], options: { maxNewTokens: 5, eosTokenId: null } },
];

function inputsOf(c: (typeof CASES)[number]): GenerateInputs {
  return { pixelValues: pixels(...c.images), modelGenerationConfig: CONFIG, ...(c.prompt ? { decoderInputIds: c.prompt } : {}) };
}

async function alone(c: (typeof CASES)[number]) {
  return generate(new FakeModel(false), inputsOf(c), c.options);
}

describe.each([
  ['mixed-length row batch', true],
  ['grouped fallback', false],
])('ContinuousBatcher (%s)', (_name, mixed) => {
  it('gives every request exactly what generate() gives it alone, with staggered arrivals', async () => {
    const model = new FakeModel(mixed);
    const steps: StepInfo[] = [];
    const batcher = new ContinuousBatcher(model, { maxBatch: 10, onStep: (s) => steps.push(s) });
    expect(batcher.mixedLengths).toBe(mixed);
    const expected = await Promise.all(CASES.map(alone));
    const results = await Promise.all(
      CASES.map(async (c, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i % 4) * 3));
        return batcher.generate(inputsOf(c), c.options);
      }),
    );
    results.forEach((r, i) => {
      expect(r.sequences, `case ${i}`).toEqual(expected[i]!.sequences);
      expect(r.sequencesScores, `case ${i}`).toEqual(expected[i]!.sequencesScores);
    });
    expect(Math.max(...steps.map((s) => s.rows))).toBeLessThanOrEqual(10);
    // Requests really shared steps, and joined a running batch.
    expect(Math.max(...steps.map((s) => s.requests))).toBeGreaterThan(2);
    expect(steps.some((s) => s.joined > 0 && s.joined < s.rows)).toBe(true);
    expect(model.encodes.some((n) => n > 1)).toBe(true);
    await batcher.close();
  });

  it('a cancelled request leaves the batch at the next step; the others are unaffected', async () => {
    const model = new FakeModel(mixed);
    const steps: StepInfo[] = [];
    const batcher = new ContinuousBatcher(model, { maxBatch: 8, onStep: (s) => steps.push(s) });
    const controller = new AbortController();
    const long = { images: [21], options: { maxNewTokens: 30, eosTokenId: null } };
    const other = CASES[6]!;
    const cancelled = batcher.generate({ ...inputsOf(long), signal: controller.signal }, long.options);
    const kept = batcher.generate(inputsOf(other), other.options);
    const expected = await alone(other);
    while (steps.length < 3) await new Promise((resolve) => setTimeout(resolve, 1));
    controller.abort(new Error('client went away'));
    const at = steps.length;
    await expect(cancelled).rejects.toThrow('client went away');
    expect((await kept).sequences).toEqual(expected.sequences);
    // At most the step already running still held its row.
    expect(steps.slice(at + 1).every((s) => s.rows === 3)).toBe(true);
    await batcher.close();
  });

  it('holds requests back while the batch is full and never exceeds maxBatch', async () => {
    const model = new FakeModel(mixed);
    const steps: StepInfo[] = [];
    const batcher = new ContinuousBatcher(model, { maxBatch: 3, onStep: (s) => steps.push(s) });
    const cases = [CASES[6]!, CASES[0]!, CASES[1]!, CASES[3]!];
    const expected = await Promise.all(cases.map(alone));
    const results = await Promise.all(cases.map((c) => batcher.generate(inputsOf(c), c.options)));
    results.forEach((r, i) => expect(r.sequences).toEqual(expected[i]!.sequences));
    expect(Math.max(...steps.map((s) => s.rows))).toBe(3);
    await batcher.close();
  });

  it('refuses a request larger than the batch, and bad options, before queueing', async () => {
    const batcher = new ContinuousBatcher(new FakeModel(mixed), { maxBatch: 4 });
    await expect(batcher.generate(inputsOf(CASES[0]!), { numBeams: 5 })).rejects.toThrow('needs 5 decoder rows');
    await expect(batcher.generate(inputsOf(CASES[0]!), { maxNewTokens: 0 })).rejects.toThrow('max_new_tokens');
    expect(batcher.inFlight).toBe(0);
    await batcher.close();
  });

  it('a failing graph run fails the requests in it; later requests run', async () => {
    const model = new FakeModel(mixed);
    const batcher = new ContinuousBatcher(model, { maxBatch: 8 });
    model.failStepAfter = 2;
    await expect(batcher.generate(inputsOf(CASES[0]!), CASES[0]!.options)).rejects.toThrow('the graph run failed');
    model.failStepAfter = Infinity;
    expect((await batcher.generate(inputsOf(CASES[1]!), CASES[1]!.options)).sequences).toEqual((await alone(CASES[1]!)).sequences);
    await batcher.close();
  });

  it('streams the tokens of each step, as generateStream() alone', async () => {
    const batcher = new ContinuousBatcher(new FakeModel(mixed), { maxBatch: 8 });
    const collect = async (stream: AsyncIterable<{ tokens: number[] }>) => {
      const steps: number[][] = [];
      for await (const chunk of stream) steps.push(chunk.tokens);
      return steps;
    };
    const solo = await collect(generateStream(new FakeModel(false), inputsOf(CASES[0]!), CASES[0]!.options));
    const [a, b] = await Promise.all([
      collect(batcher.stream(inputsOf(CASES[0]!), CASES[0]!.options)),
      batcher.generate(inputsOf(CASES[2]!), CASES[2]!.options),
    ]);
    expect(a).toEqual(solo);
    expect(b.sequences).toEqual((await alone(CASES[2]!)).sequences);
    await batcher.close();
  });

  it('close() waits for the requests in flight and refuses new ones', async () => {
    const batcher = new ContinuousBatcher(new FakeModel(mixed), { maxBatch: 8 });
    const running = batcher.generate(inputsOf(CASES[0]!), CASES[0]!.options);
    const closed = batcher.close();
    await expect(batcher.generate(inputsOf(CASES[1]!), CASES[1]!.options)).rejects.toThrow('closing');
    await closed;
    expect((await running).sequences).toEqual((await alone(CASES[0]!)).sequences);
  });
});
