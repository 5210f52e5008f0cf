import { describe, expect, it } from 'vitest';
import { partsFile, savedFileSize } from './serialize.js';

describe('partsFile', () => {
  it('joins its parts only when bytes are read, a new copy each time', () => {
    const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)];
    const file = partsFile('x.bin', parts);
    expect(file.parts).toBe(parts);
    expect(savedFileSize(file)).toBe(3);
    expect([...file.bytes]).toEqual([1, 2, 3]);
    expect(file.bytes).not.toBe(file.bytes);
  });

  it('savedFileSize of a plain file is its byte length', () => {
    expect(savedFileSize({ name: 'a', bytes: new Uint8Array(5) })).toBe(5);
  });
});
