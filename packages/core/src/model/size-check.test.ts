import { describe, expect, it } from 'vitest';
import { formatBytes } from './size-check.js';

describe('formatBytes', () => {
  it('uses decimal units with three significant digits', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(3_900_000_000)).toBe('3.90 GB');
    expect(formatBytes(1.2e12)).toBe('1.20 TB');
    expect(formatBytes(Infinity)).toBe('Infinity bytes');
  });
});
