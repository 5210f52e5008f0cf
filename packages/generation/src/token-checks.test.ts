import { describe, expect, it } from 'vitest';
import { VedError, type DecodingSession, type StepLogits } from '@ved/core';
import { mergeGeneration } from './resolve-config.js';
import { CheckedDecodingSession, checkPromptIds } from './token-checks.js';

function fakeSession(): DecodingSession & { fed: number[][][] } {
  const fed: number[][][] = [];
  const session = {
    fed,
    rows: 2,
    length: 0,
    async step(tokens: readonly (readonly number[])[]): Promise<StepLogits> {
      fed.push(tokens.map((r) => [...r]));
      session.length += tokens[0]!.length;
      return { data: new Float32Array(2 * 8), rows: 2, positions: 1, vocab: 8 };
    },
    reorder() {},
    dispose() {},
  };
  return session;
}

function error(promise: Promise<unknown>): Promise<VedError> {
  return promise.then(
    () => {
      throw new Error('expected an error');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(VedError);
      return e as VedError;
    },
  );
}

describe('CheckedDecodingSession', () => {
  it('names max_new_tokens when a step would pass the position table', async () => {
    const merged = mergeGeneration({ decoderStartTokenId: 1, eosTokenId: 2 }, { maxNewTokens: 9 });
    const session = new CheckedDecodingSession(fakeSession(), { vocabSize: 8, maxPositions: 3 }, merged, { maxLength: 10, promptLength: 1 });
    for (let i = 0; i < 3; i++) await session.step([[1], [1]]);
    const err = await error(session.step([[1], [1]]));
    expect(err.code).toBe('SEQUENCE_TOO_LONG');
    expect(err.message).toContain('`max_new_tokens` to at most 3 (it is 9)');
  });

  it('names pad_token_id when a finished row feeds a pad past the vocabulary (Python: IndexError in the embedding)', async () => {
    const merged = mergeGeneration({ decoderStartTokenId: 1, eosTokenId: 2, padTokenId: 50 }, { maxNewTokens: 4 });
    const inner = fakeSession();
    const session = new CheckedDecodingSession(inner, { vocabSize: 8 }, merged, { maxLength: 5, promptLength: 1 });
    await session.step([[1], [1]]);
    const err = await error(session.step([[3], [50]]));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toContain('`pad_token_id` (fed for a finished row while others continue) is 50');
    expect(inner.fed).toHaveLength(1);
  });
});

describe('checkPromptIds', () => {
  it('checks the start token, the prompt and forced BOS before encoding', () => {
    const warn = () => {};
    expect(() => checkPromptIds(mergeGeneration({ decoderStartTokenId: 9 }, {}), [[9]], false, { vocabSize: 8 }, warn)).toThrow('`decoder_start_token_id` is 9');
    expect(() => checkPromptIds(mergeGeneration({ bosTokenId: 9 }, {}), [[9]], false, { vocabSize: 8 }, warn)).toThrow('`bos_token_id` is 9');
    expect(() => checkPromptIds(mergeGeneration({ decoderStartTokenId: 1 }, {}), [[1, 8]], true, { vocabSize: 8 }, warn)).toThrow('decoderInputIds[0][1]');
    expect(() => checkPromptIds(mergeGeneration({ decoderStartTokenId: 1, forcedBosTokenId: 8 }, {}), [[1]], false, { vocabSize: 8 }, warn)).toThrow('`forced_bos_token_id` is 8');
    // A longer prompt never reaches ForcedBOSTokenLogitsProcessor.
    checkPromptIds(mergeGeneration({ decoderStartTokenId: 1, forcedBosTokenId: 8 }, {}), [[1, 2]], true, { vocabSize: 8 }, warn);
  });
});
