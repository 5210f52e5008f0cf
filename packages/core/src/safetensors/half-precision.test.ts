import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32Bits,
  bfloat16ToFloat32,
  float16BitsToFloat32Bits,
  float16ToFloat32,
  float32BitsToBfloat16Bits,
  float32BitsToFloat16Bits,
  float32ToBfloat16,
  float32ToFloat16,
} from './half-precision.js';

const bitsOf = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0]!;
const valueOf = (bits: number): number => new Float32Array(Uint32Array.of(bits).buffer)[0]!;

/** Exact value of a binary16 pattern computed independently, from the IEEE 754 definition. */
function referenceHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

describe('float16', () => {
  it.each([
    [0x0000, 0x00000000], // +0
    [0x8000, 0x80000000], // -0
    [0x3c00, 0x3f800000], // 1
    [0xc000, 0xc0000000], // -2
    [0x3555, 0x3eaaa000], // 0.333251953125
    [0x7bff, 0x477fe000], // 65504, largest finite
    [0x0400, 0x38800000], // 2^-14, smallest normal
    [0x0001, 0x33800000], // 2^-24, smallest subnormal
    [0x03ff, 0x387fc000], // largest subnormal
    [0x8001, 0xb3800000], // -2^-24
    [0x7c00, 0x7f800000], // +inf
    [0xfc00, 0xff800000], // -inf
    [0x7e00, 0x7fc00000], // quiet NaN
    [0x7c01, 0x7f802000], // signalling NaN, payload kept
  ])('widens binary16 pattern %s exactly', (half, single) => {
    expect(float16BitsToFloat32Bits(half).toString(16)).toBe(single.toString(16));
  });

  it('widens every one of the 65536 patterns to its exact value', () => {
    const all = new Uint16Array(0x10000).map((_, i) => i);
    const widened = float16ToFloat32(all);
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const expected = referenceHalf(h);
      const ok = Number.isNaN(expected) ? Number.isNaN(widened[h]) : Object.is(widened[h], expected);
      if (!ok) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('narrows every pattern back to itself', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      const back = float32BitsToFloat16Bits(float16BitsToFloat32Bits(h));
      // NaNs come back with the quiet bit set.
      if (back !== (isNaN ? h | 0x200 : h)) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and next: ties to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: ties to even (up)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway: up
    [65504, 0x7bff],
    [65519.99, 0x7bff], // below the rounding boundary of the largest finite
    [65520, 0x7c00], // halfway to 2^16 rounds to even: overflows to inf
    [1e9, 0x7c00],
    [-1e9, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: ties to even (zero)
    [2 ** -25 * 1.0001, 0x0001],
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal units: ties to even (2)
    [2 ** -26, 0x0000],
    [-(2 ** -30), 0x8000], // underflow keeps the sign
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up from the largest subnormal into the smallest normal
    [1e-45, 0x0000], // float32 subnormal
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [-0, 0x8000],
  ])('narrows %s to binary16 pattern %s (round to nearest even)', (value, half) => {
    expect(float32BitsToFloat16Bits(bitsOf(value)).toString(16)).toBe(half.toString(16));
  });

  it('keeps NaN a NaN with its sign', () => {
    expect(float32BitsToFloat16Bits(0x7fc00000)).toBe(0x7e00);
    expect(float32BitsToFloat16Bits(0xffc00000)).toBe(0xfe00);
    // A payload below the 10 kept bits would become inf without the quiet bit.
    expect(float32BitsToFloat16Bits(0x7f800001)).toBe(0x7e00);
  });

  it('converts arrays', () => {
    expect([...float32ToFloat16(Float32Array.of(1, -2, 0.5))]).toEqual([0x3c00, 0xc000, 0x3800]);
    expect([...float16ToFloat32(Uint16Array.of(0x3c00, 0xc000, 0x3800))]).toEqual([1, -2, 0.5]);
  });
});

describe('bfloat16', () => {
  it('is the high half of float32', () => {
    expect(bfloat16BitsToFloat32Bits(0x3f80)).toBe(0x3f800000);
    expect(bfloat16BitsToFloat32Bits(0xc049)).toBe(0xc0490000);
    expect(bfloat16BitsToFloat32Bits(0xff80)).toBe(0xff800000);
    expect(valueOf(bfloat16BitsToFloat32Bits(0x0001))).toBe(2 ** -133); // subnormal
    expect([...bfloat16ToFloat32(Uint16Array.of(0x3f80, 0x4049, 0x7fc0))]).toEqual([1, 3.140625, NaN]);
  });

  it.each([
    [0x3f808000, 0x3f80], // tie, even below: down
    [0x3f818000, 0x3f82], // tie, odd below: up
    [0x3f808001, 0x3f81], // above the tie: up
    [0x3f807fff, 0x3f80], // below the tie: down
    [0x7f7fffff, 0x7f80], // largest float32 rounds to inf
    [0x7f7f7fff, 0x7f7f],
    [0x80000000, 0x8000],
    [0x7f800000, 0x7f80],
    [0xff800000, 0xff80],
    [0x00008000, 0x0000], // subnormal tie: even
    [0x00018000, 0x0002],
  ])('narrows float32 pattern %s to bfloat16 pattern %s (round to nearest even)', (single, bf) => {
    expect(float32BitsToBfloat16Bits(single).toString(16)).toBe(bf.toString(16));
  });

  it('keeps NaN a NaN with its sign, even when the payload sits in the dropped bits', () => {
    expect(float32BitsToBfloat16Bits(0x7fc00000)).toBe(0x7fc0);
    expect(float32BitsToBfloat16Bits(0x7f800001)).toBe(0x7fc0);
    expect(float32BitsToBfloat16Bits(0xffffffff)).toBe(0xffff);
  });

  it('round-trips every pattern and converts arrays', () => {
    const wrong: number[] = [];
    for (let b = 0; b < 0x10000; b++) {
      const back = float32BitsToBfloat16Bits(bfloat16BitsToFloat32Bits(b));
      const isNaN = (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
      if (back !== (isNaN ? b | 0x40 : b)) wrong.push(b);
    }
    expect(wrong).toEqual([]);
    expect([...float32ToBfloat16(Float32Array.of(1, 1 / 3, -2))]).toEqual([0x3f80, 0x3eab, 0xc000]);
  });
});
