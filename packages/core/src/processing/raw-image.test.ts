import { describe, expect, it } from 'vitest';
import { centerCrop } from './center-crop.js';
import { assertRawImage, convertToRgb, type RawImage } from './raw-image.js';

describe('convertToRgb (PIL convert("RGB"))', () => {
  it('replicates L and drops the alpha of LA and RGBA without compositing', () => {
    expect([...convertToRgb({ width: 2, height: 1, channels: 1, data: Uint8Array.from([7, 250]) }).data]).toEqual([7, 7, 7, 250, 250, 250]);
    expect([...convertToRgb({ width: 2, height: 1, channels: 2, data: Uint8Array.from([7, 0, 250, 128]) }).data]).toEqual([7, 7, 7, 250, 250, 250]);
    expect([...convertToRgb({ width: 1, height: 1, channels: 4, data: Uint8Array.from([1, 2, 3, 0]) }).data]).toEqual([1, 2, 3]);
  });

  it('returns an RGB image unchanged', () => {
    const img: RawImage = { width: 1, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3]) };
    expect(convertToRgb(img)).toBe(img);
  });
});

describe('assertRawImage', () => {
  it('names the image and what is wrong', () => {
    expect(() => assertRawImage({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }, 'images[1]')).toThrow(
      /images\[1\]: data has 11 bytes, expected .* = 12/,
    );
    expect(() => assertRawImage({ width: 0, height: 2, channels: 3, data: new Uint8Array(0) })).toThrow(/positive integers/);
    expect(() => assertRawImage({ width: 1, height: 1, channels: 5 as 3, data: new Uint8Array(5) })).toThrow(/channels must be/);
    expect(() => assertRawImage({ width: 1, height: 1, channels: 1, data: [1] as unknown as Uint8Array })).toThrow(/Uint8Array/);
  });
});

describe('centerCrop', () => {
  const img: RawImage = { width: 4, height: 3, channels: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };

  it('starts at floor((size - crop) / 2)', () => {
    expect([...centerCrop(img, 1, 2).data]).toEqual([6, 7]);
    expect([...centerCrop(img, 2, 3).data]).toEqual([1, 2, 3, 5, 6, 7]);
  });

  it('zero-pads a crop larger than the image, with the extra row/column first (floor of a negative offset)', () => {
    // 3 rows -> 4: offset floor(-1/2) = -1, so one zero row on top; 4 cols -> 5: one zero column on the left.
    expect([...centerCrop(img, 4, 5).data]).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 5, 6, 7, 8, 0, 9, 10, 11, 12]);
  });
});
