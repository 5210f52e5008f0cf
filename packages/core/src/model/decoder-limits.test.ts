import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { checkLabels, checkStep, checkTokenId, isTokenId } from './decoder-limits.js';

const limits = { vocabSize: 10, maxPositions: 4, where: 'm/config.json' };

function error(fn: () => void): VedError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VedError);
    return e as VedError;
  }
  throw new Error('expected an error');
}

describe('decoder limits', () => {
  it('token ids are integers in [0, vocab)', () => {
    expect([0, 9].every((id) => isTokenId(id, 10))).toBe(true);
    expect([-1, 10, 1.5, Number.NaN, '3', null].some((id) => isTokenId(id, 10))).toBe(false);
    const err = error(() => checkTokenId(-3, '`decoder_start_token_id`', 10));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toBe(
      "`decoder_start_token_id` is -3, but token ids must be integers in [0, 10) (the decoder's vocab_size is 10); a negative id would index the embedding from the end.",
    );
  });

  it('a step may fill the position table but not pass it', () => {
    checkStep([[1, 2]], 2, limits);
    const err = error(() => checkStep([[1, 2]], 3, limits));
    expect(err.code).toBe('SEQUENCE_TOO_LONG');
    expect(err.message).toContain('m/config.json: a decoding step of 2 token(s) after 3 cached one(s) needs 5 decoder positions');
    checkStep([[1, 2]], 30, { ...limits, maxPositions: undefined });
  });

  it('a step names the row and position of a bad id', () => {
    const err = error(() => checkStep([[1], [10]], 2, limits));
    expect(err.message).toContain('The decoder input id at row 1, position 2 is 10');
  });

  it('labels allow -100 and must fit the table', () => {
    checkLabels([[-100, 3, 9, -100]], limits);
    expect(error(() => checkLabels([[1, 2, 3, -5]], limits)).message).toContain('labels[0][3] is -5');
    const long = error(() => checkLabels([[1, 2, 3, 4, 5]], limits));
    expect(long.code).toBe('SEQUENCE_TOO_LONG');
    expect(long.message).toContain('labels of 5 tokens');
  });
});
