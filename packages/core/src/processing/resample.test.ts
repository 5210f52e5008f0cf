import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { pilResize } from './pil-resize.js';
import type { RawImage } from './raw-image.js';
import { PilResample, isPilResampleFilter, type PilResampleFilter } from './resample.js';

function row(values: number[], channels: RawImage['channels'] = 1): RawImage {
  return { width: values.length / channels, height: 1, channels, data: Uint8Array.from(values) };
}

function resizeRow(values: number[], width: number, filter: PilResampleFilter): number[] {
  return [...pilResize(row(values), width, 1, filter).data];
}

describe('pilResize, hand-checked values (confirmed with Pillow 12.3)', () => {
  it('bilinear 4 -> 2 widens the support to 2 source pixels', () => {
    // out[0]: weights 0.75, 0.75, 0.25 over [0, 100, 200] / 1.75 = 71.4
    // out[1]: weights 0.25, 0.75, 0.75 over [100, 200, 255] / 1.75 = 209.3
    expect(resizeRow([0, 100, 200, 255], 2, PilResample.BILINEAR)).toEqual([71, 209]);
  });

  it('bilinear 2 -> 4 interpolates with edge clamping', () => {
    expect(resizeRow([0, 200], 4, PilResample.BILINEAR)).toEqual([0, 50, 150, 200]);
  });

  it('box averages the covered pixels', () => {
    expect(resizeRow([0, 100, 200, 255], 2, PilResample.BOX)).toEqual([50, 228]);
    expect(resizeRow([0, 100, 200, 255], 3, PilResample.BOX)).toEqual([0, 150, 255]);
  });

  it('bicubic (a = -0.5) and lanczos ring and clip', () => {
    expect(resizeRow([0, 255, 0, 255, 0, 255], 4, PilResample.BICUBIC)).toEqual([98, 117, 138, 157]);
    expect(resizeRow([0, 0, 255, 255], 3, PilResample.LANCZOS)).toEqual([0, 128, 255]);
    expect(resizeRow([0, 0, 255, 255], 8, PilResample.LANCZOS)).toEqual([10, 0, 0, 54, 201, 255, 255, 245]);
  });

  it('nearest accumulates the source position in float64 (4/3 steps land on 0, 2, 3)', () => {
    expect(resizeRow([10, 20, 30, 40], 3, PilResample.NEAREST)).toEqual([10, 30, 40]);
    expect(resizeRow([10, 20, 30], 7, PilResample.NEAREST)).toEqual([10, 10, 20, 20, 20, 30, 30]);
  });

  it('resamples LA and RGBA with premultiplied alpha, except for nearest', () => {
    const la = row([200, 255, 100, 0], 2);
    // Premultiplied, the transparent pixel contributes nothing: L = 100 / (128 / 255).
    expect([...pilResize(la, 1, 1, PilResample.BILINEAR).data]).toEqual([199, 128]);
    expect([...pilResize(la, 1, 1, PilResample.NEAREST).data]).toEqual([100, 0]);
    const rgba = row([200, 10, 30, 255, 100, 50, 250, 51], 4);
    expect([...pilResize(rgba, 1, 1, PilResample.BOX).data]).toEqual([183, 16, 66, 153]);
  });

  it('returns a copy when the size does not change', () => {
    const img = row([1, 2, 3]);
    const out = pilResize(img, 3, 1, PilResample.LANCZOS);
    expect([...out.data]).toEqual([1, 2, 3]);
    expect(out.data).not.toBe(img.data);
  });

  it('keeps every value in 0..255 for all filters on a 1x1 image', () => {
    for (let f = 0; f <= 5; f++) {
      const out = pilResize({ width: 1, height: 1, channels: 3, data: Uint8Array.from([200, 17, 99]) }, 5, 3, f as PilResampleFilter);
      for (let i = 0; i < out.data.length; i += 3) expect([...out.data.subarray(i, i + 3)]).toEqual([200, 17, 99]);
    }
  });

  it('rejects empty or fractional target sizes', () => {
    expect(() => pilResize(row([1, 2]), 0, 1, PilResample.BILINEAR)).toThrow(VedError);
    expect(() => pilResize(row([1, 2]), 1.5, 1, PilResample.BILINEAR)).toThrow(/positive integers/);
  });

  it('knows the six PIL filters', () => {
    expect([0, 1, 2, 3, 4, 5].every(isPilResampleFilter)).toBe(true);
    expect(isPilResampleFilter(6)).toBe(false);
    expect(isPilResampleFilter(2.5)).toBe(false);
    expect(isPilResampleFilter('2')).toBe(false);
  });
});
