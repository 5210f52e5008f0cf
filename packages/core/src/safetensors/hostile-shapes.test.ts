/**
 * Absurd shapes in a safetensors header: Python's safetensors (0.8) refuses
 * them with "overflow computing buffer size from shape and/or element type"
 * (checked with .venv-ref); ved says which axis holds what.
 */
import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { parseSafetensors } from './reader.js';

function file(shape: string): Uint8Array {
  const header = new TextEncoder().encode(`{"w":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`);
  const out = new Uint8Array(8 + header.length + 4);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  return out;
}

function error(shape: string): VedError {
  try {
    parseSafetensors(file(shape), 'w.safetensors');
  } catch (e) {
    expect(e).toBeInstanceOf(VedError);
    return e as VedError;
  }
  throw new Error('expected an error');
}

describe('safetensors shapes too large to exist', () => {
  it('2^61 names the axis and the size, not "expected a non-negative integer"', () => {
    const err = error('[2305843009213693952]');
    expect(err.code).toBe('INVALID_SAFETENSORS');
    expect(err.message).toContain('w.safetensors');
    expect(err.message).toContain('has 2305843009213694000 at axis 0 (about 2^61.0): no tensor can be that large');
    expect(err.message).toContain('overflow computing buffer size');
    expect(err.message).not.toContain('expected a non-negative integer');
  });

  it('a product past 2^53 bytes says how many bytes', () => {
    expect(error('[1099511627776,1073741824]').message).toContain('describes 4.722e+21 bytes: more than 2^53 bytes');
  });

  it('negative and fractional sizes are still "expected a non-negative integer"', () => {
    expect(error('[-1]').message).toContain('expected a non-negative integer');
    expect(error('[1.5]').message).toContain('expected a non-negative integer');
  });
});
