import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_RUN, VedError, shortenLongRuns } from './errors.js';

describe('shortenLongRuns', () => {
  it('keeps messages with short words whole', () => {
    const text = `${'word '.repeat(500)}end`;
    expect(shortenLongRuns(text)).toBe(text);
  });

  it('shortens each run longer than MAX_MESSAGE_RUN to its start and end', () => {
    const path = `/data/${'x'.repeat(1000)}/scan.png`;
    const out = shortenLongRuns(`${path}: not found (and ${'y'.repeat(300)}).`);
    expect(out).toMatch(/^\/data\/x+…\(1016 characters\)…x+\/scan\.png: not found \(and y+…\(302 characters\)…y+\)\.$/);
    for (const run of out.split(' ')) expect(run.length).toBeLessThanOrEqual(MAX_MESSAGE_RUN + 30);
  });

  it('is applied by VedError, also to a 20 MB path', () => {
    const err = new VedError('FILE_NOT_FOUND', `/${'a'.repeat(20_000_000)}: no such file.`);
    expect(err.message.length).toBeLessThan(400);
    expect(err.message.endsWith('aaa: no such file.')).toBe(true);
  });
});
