/**
 * generate() driven through a small fake model (no ONNX): streaming, the
 * async iterator, cancellation and session disposal, stop strings, time
 * limits, seeded sampling, prompt rules. Fidelity to Python is checked by the
 * golden tests in packages/backend-node/src/golden/generation.golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  VedError,
  registerDecoder,
  registerEncoder,
  type DecoderPlugin,
  type DecodingSession,
  type EncodedImages,
  type EncoderDecoderLM,
  type EncoderPlugin,
  type PixelBatch,
  type StepLogits,
} from '@ved/core';
import { buildPrompt, generate } from './generate.js';
import { generateStream, type StreamChunk } from './generate-stream.js';
import { MaxTimeCriteria } from './stopping/stopping-criteria.js';
import { StopStringCriteria } from './stopping/stop-strings.js';
import { TextStreamer, type Streamer } from './streaming.js';

const V = 8;
const EOS = 7;
const START = 0;

/** Next-token logits: a peaked function of (image, last token, position). Image 1 ends with eos after 3 tokens. */
function nextToken(image: number, last: number, position: number): number {
  if (image === 1 && position >= 3) return EOS;
  return ((last + image + 1) % (V - 2)) + 1;
}

class FakeLM implements EncoderDecoderLM {
  readonly vocabSize = V;
  disposed = 0;
  steps = 0;
  constructor(readonly encoderModelType = 'vit') {}
  async encode(pixelValues: PixelBatch): Promise<EncodedImages> {
    return { batchSize: pixelValues.dims[0] };
  }
  startDecoding(_encoded: EncodedImages, rowToImage: readonly number[]): DecodingSession {
    const lm = this;
    let rows = rowToImage.map((image) => ({ image, length: 0, last: -1 }));
    return {
      get rows() {
        return rows.length;
      },
      get length() {
        return rows[0]?.length ?? 0;
      },
      async step(tokens): Promise<StepLogits> {
        lm.steps++;
        await new Promise((resolve) => setTimeout(resolve, 0));
        const data = new Float32Array(rows.length * V);
        rows.forEach((r, i) => {
          const row = tokens[i]!;
          r.length += row.length;
          r.last = row[row.length - 1]!;
          data.fill(-2, i * V, (i + 1) * V);
          data[i * V + nextToken(r.image, r.last, r.length)] = 3;
          const second = i * V + ((r.last + 3) % V); // a second choice, for beams and sampling
          data[second] = Math.max(data[second]!, 1);
        });
        return { data, rows: rows.length, positions: 1, vocab: V };
      },
      reorder(indices) {
        rows = indices.map((i) => ({ ...rows[i]! }));
      },
      dispose() {
        lm.disposed++;
      },
    };
  }
}

const pixels = (batch: number): PixelBatch => ({ data: new Float32Array(batch * 3), dims: [batch, 3, 1, 1] });
const MODEL = { decoderStartTokenId: START, eosTokenId: EOS, padTokenId: 6 };
const decoder = { decode: (ids: readonly number[]) => ids.map((t) => (t === EOS ? '' : t === 3 ? ' ' : String.fromCharCode(96 + t))).join('') };

describe('generate() with a fake model', () => {
  it('greedy: rows end at different steps and are padded', async () => {
    const lm = new FakeLM();
    const out = await generate(lm, { pixelValues: pixels(2), modelGenerationConfig: MODEL }, { maxNewTokens: 6 });
    expect(out.sequences).toEqual([
      [0, 2, 4, 6, 2, 4, 6],
      [0, 3, 6, 7, 6, 6, 6],
    ]);
    expect(lm.disposed).toBe(1);
  });

  it('a streamer gets the prompt, each step\'s tokens (pad after eos), then end()', async () => {
    const calls: unknown[] = [];
    const streamer: Streamer = { put: (v) => calls.push(JSON.parse(JSON.stringify(v))), end: () => calls.push('end') };
    await generate(new FakeLM(), { pixelValues: pixels(2), modelGenerationConfig: MODEL, streamer }, { maxNewTokens: 4 });
    expect(calls).toEqual([[[0], [0]], [2, 3], [4, 6], [6, 7], [2, 6], 'end']);
  });

  it('streamers with beam search raise as in Python', async () => {
    const streamer: Streamer = { put: () => {}, end: () => {} };
    await expect(generate(new FakeLM(), { pixelValues: pixels(1), modelGenerationConfig: MODEL, streamer }, { numBeams: 2, maxNewTokens: 3 })).rejects.toThrow(
      '`streamer` cannot be used with beam search',
    );
  });

  it('TextStreamer prints whole words and flushes at the end; batch size 1 only', async () => {
    const pieces: Array<[string, boolean]> = [];
    const streamer = new TextStreamer(decoder, { skipPrompt: true, onText: (t, end) => pieces.push([t, end]) });
    await generate(new FakeLM(), { pixelValues: pixels(1), modelGenerationConfig: MODEL, streamer }, { maxNewTokens: 6 });
    // tokens 2 4 6 2 4 6 -> "bdfbdf": no space, so everything comes at the end
    expect(pieces.map((p) => p[0]).join('')).toBe('bdfbdf');
    expect(pieces.at(-1)).toEqual(['bdfbdf', true]);
    await expect(
      generate(new FakeLM(), { pixelValues: pixels(2), modelGenerationConfig: MODEL, streamer: new TextStreamer(decoder, { onText: () => {} }) }, { maxNewTokens: 2 }),
    ).rejects.toThrow('TextStreamer only supports batch size 1');
  });

  it('TextStreamer releases text up to the last space, at newlines and after CJK characters', () => {
    const table: Record<number, string> = { 1: 'ab', 2: ' c', 3: 'd\n', 4: '中', 5: 'e' };
    const tok = { decode: (ids: readonly number[]) => ids.map((t) => table[t]!).join('') };
    const out: string[] = [];
    const s = new TextStreamer(tok, { onText: (t) => out.push(t) });
    s.put([[1]]);
    s.put([2]);
    s.put([3]);
    s.put([4]);
    s.put([5]);
    s.end();
    expect(out).toEqual(['', 'ab ', 'cd\n', '中', '', 'e']);
  });

  it('AbortSignal cancels: the promise rejects with the reason and the session is disposed', async () => {
    const lm = new FakeLM();
    const controller = new AbortController();
    let steps = 0;
    const streamer: Streamer = {
      put: () => {
        if (++steps === 3) controller.abort(new Error('stop now'));
      },
      end: () => {},
    };
    await expect(
      generate(lm, { pixelValues: pixels(1), modelGenerationConfig: MODEL, streamer, signal: controller.signal }, { maxNewTokens: 10 }),
    ).rejects.toThrow('stop now');
    expect(lm.disposed).toBe(1);
    expect(lm.steps).toBe(2);
    const beamLm = new FakeLM();
    await expect(
      generate(beamLm, { pixelValues: pixels(1), modelGenerationConfig: MODEL, signal: AbortSignal.abort() }, { numBeams: 2, maxNewTokens: 3 }),
    ).rejects.toThrow();
    expect(beamLm.steps).toBe(0);
  });

  it('generateStream yields each step\'s tokens and finalized text, then the result', async () => {
    const stream = generateStream(new FakeLM(), { pixelValues: pixels(2), modelGenerationConfig: MODEL, tokenizer: decoder }, { maxNewTokens: 4 });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.tokens)).toEqual([[2, 3], [4, 6], [6, 7], [2, 6], []]);
    expect(chunks.at(-1)).toMatchObject({ done: true });
    const texts = [0, 1].map((r) => chunks.map((c) => c.text![r]).join(''));
    expect(texts).toEqual(['bdfb', ' ff']);
    expect((await stream.result).sequences).toEqual([
      [0, 2, 4, 6, 2],
      [0, 3, 6, 7, 6],
    ]);
  });

  it('leaving a generateStream loop early cancels generation and disposes the session', async () => {
    const lm = new FakeLM();
    const stream = generateStream(lm, { pixelValues: pixels(1), modelGenerationConfig: MODEL }, { maxNewTokens: 50, eosTokenId: null });
    let seen = 0;
    for await (const _ of stream) if (++seen === 2) break;
    await expect(stream.result).rejects.toThrow('closed before generation finished');
    expect(lm.disposed).toBe(1);
    expect(lm.steps).toBeLessThan(5);
  });

  it('stop strings need a tokenizer and stop a row once its text ends inside one', async () => {
    await expect(generate(new FakeLM(), { pixelValues: pixels(1), modelGenerationConfig: MODEL }, { stopStrings: 'fb', maxNewTokens: 3 })).rejects.toThrow(
      'we could not locate a tokenizer',
    );
    const out = await generate(new FakeLM(), { pixelValues: pixels(2), modelGenerationConfig: MODEL, tokenizer: decoder }, { maxNewTokens: 8, stopStrings: ['fb'] });
    expect(out.sequences).toEqual([
      [0, 2, 4, 6, 2],
      [0, 3, 6, 7, 6],
    ]);
  });

  it('StopStringCriteria matches only when the match reaches into the last token', () => {
    const table: Record<number, string> = { 1: 'st', 2: 'op', 3: 'opera', 4: 'las', 5: 'topper', 6: 'at', 7: 's', 8: 'to', 9: 'pped', 10: 'stop' };
    const c = new StopStringCriteria({ decode: (ids) => ids.map((t) => table[t]!).join('') }, ['stop']);
    const done = c.isDone([[1, 2], [10], [1, 3], [4, 5], [7, 8, 9], [10, 6], [1, 2, 6], [1, 3, 6]]);
    expect(done).toEqual([true, true, true, true, true, false, false, false]);
  });

  it('maxTime: a custom MaxTimeCriteria replaces the built-in one', async () => {
    const expired = new MaxTimeCriteria(0, Date.now() / 1000 - 10);
    const out = await generate(new FakeLM(), { pixelValues: pixels(1), modelGenerationConfig: MODEL, stoppingCriteria: [expired] }, { maxNewTokens: 9, maxTime: 100 });
    expect(out.sequences).toEqual([[0, 2]]);
  });

  it('seeded sampling is reproducible; seeds differ', async () => {
    const run = (seed: number) =>
      generate(new FakeLM(), { pixelValues: pixels(2), modelGenerationConfig: MODEL }, { doSample: true, temperature: 3, topK: 0, maxNewTokens: 8, seed, eosTokenId: null }).then(
        (o) => o.sequences,
      );
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });

  it('beam search returns numReturnSequences per image with scores and beam indices', async () => {
    const out = await generate(
      new FakeLM(),
      { pixelValues: pixels(2), modelGenerationConfig: MODEL },
      { numBeams: 3, numReturnSequences: 2, maxNewTokens: 4, returnDictInGenerate: true, outputScores: true },
    );
    expect(out.sequences).toHaveLength(4);
    expect(out.sequencesScores).toHaveLength(4);
    expect(out.beamIndices).toHaveLength(4);
    expect(out.scores![0]!.rows).toBe(6);
    expect(out.sequencesScores![0]!).toBeGreaterThanOrEqual(out.sequencesScores![1]!);
  });
});

describe('buildPrompt', () => {
  it('prepends the start token only when no row starts with it (Python\'s .all() test)', () => {
    expect(buildPrompt([[3], [4]], 2, 0, 'vit')).toEqual([
      [0, 3],
      [0, 4],
    ]);
    expect(buildPrompt([[0, 3], [5, 3]], 2, 0, 'vit')).toEqual([
      [0, 3],
      [5, 3],
    ]);
    expect(buildPrompt([[3], [4]], 2, [1, 2], 'vit')).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it('never prepends for Donut encoders', () => {
    expect(buildPrompt([[3, 4]], 1, 0, 'donut-swin')).toEqual([[3, 4]]);
  });

  it("follows the registered plugins' prompt declarations, the decoder's over the encoder's", () => {
    registerEncoder({ modelType: 'gen-test-task-encoder', prompt: { prependStartToken: 'never' } } as unknown as EncoderPlugin);
    registerDecoder({ modelType: 'gen-test-prepending-decoder', prompt: { prependStartToken: 'when-missing' } } as unknown as DecoderPlugin);
    expect(buildPrompt([[3, 4]], 1, 0, 'gen-test-task-encoder')).toEqual([[3, 4]]);
    expect(buildPrompt([[3, 4]], 1, 0, 'gen-test-task-encoder', 'gen-test-prepending-decoder')).toEqual([[0, 3, 4]]);
    expect(buildPrompt([[3, 4]], 1, 0, 'vit', 'gen-test-undeclared-decoder')).toEqual([[0, 3, 4]]);
  });

  it('checks shapes', () => {
    expect(() => buildPrompt(undefined, 3, [1, 2], 'vit')).toThrow('`decoder_start_token_id` expected to have length 3 but got 2');
    expect(() => buildPrompt([[1], [1, 2]], 2, 0, 'vit')).toThrow(VedError);
  });
});
