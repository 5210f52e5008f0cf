/**
 * Exact conversions between float32 and the two 16-bit float formats stored in
 * checkpoints: IEEE 754 binary16 (`F16`) and bfloat16 (`BF16`, the high 16 bits
 * of a float32). Widening is exact (subnormals, ±0, ±inf and NaN payloads kept);
 * narrowing rounds to nearest, ties to even, as numpy and PyTorch do.
 *
 * NaN narrows to NaN with its sign and top payload bits kept and the quiet bit
 * set (PyTorch writes a canonical 0x7E00 / 0x7FC0 instead; both are NaN).
 */

/** float32 bits of the binary16 value `h` (both as unsigned integers). */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal binary16 (mantissa * 2^-24) is a normal float32: shift the leading 1 into the implicit bit.
  let floatExponent = 113;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    floatExponent -= 1;
  }
  return (sign | (floatExponent << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

/** binary16 bits of the float32 with bits `f`, rounded to nearest even. */
export function float32BitsToFloat16Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exponent = (f >>> 23) & 0xff;
  const mantissa = f & 0x7fffff;
  if (exponent === 0xff) {
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }
  const halfExponent = exponent - 112;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Below 2^-25 (half the smallest subnormal) everything rounds to zero.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const kept = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    // Rounding up from the largest subnormal yields 0x400, the smallest normal: the carry is correct.
    return sign | (kept + (rest > halfway || (rest === halfway && (kept & 1) === 1) ? 1 : 0));
  }
  const kept = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and from the largest finite value gives inf.
  return sign | (kept + (rest > 0x1000 || (rest === 0x1000 && (kept & 1) === 1) ? 1 : 0));
}

/** float32 bits of the bfloat16 value `b`. */
export function bfloat16BitsToFloat32Bits(b: number): number {
  return ((b & 0xffff) << 16) >>> 0;
}

/** bfloat16 bits of the float32 with bits `f`, rounded to nearest even. */
export function float32BitsToBfloat16Bits(f: number): number {
  const u = f >>> 0;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return (u >>> 16) | 0x40;
  // Adding 0x7fff (+1 when the kept part is odd) carries into bit 16 exactly when rounding up.
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

let float16Table: Uint32Array | undefined;

/** float32 bits of every binary16 value, built on first use (256 KiB). */
function float16ToFloat32Table(): Uint32Array {
  if (float16Table === undefined) {
    float16Table = new Uint32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) float16Table[h] = float16BitsToFloat32Bits(h);
  }
  return float16Table;
}

/** Widens binary16 bit patterns to float32 values (exact). */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const table = float16ToFloat32Table();
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return new Float32Array(out.buffer);
}

/** Widens bfloat16 bit patterns to float32 values (exact). */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}

/** Narrows float32 values to binary16 bit patterns, rounding to nearest even. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const words = float32Words(values);
  const out = new Uint16Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = float32BitsToFloat16Bits(words[i]!);
  return out;
}

/** Narrows float32 values to bfloat16 bit patterns, rounding to nearest even. */
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const words = float32Words(values);
  const out = new Uint16Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = float32BitsToBfloat16Bits(words[i]!);
  return out;
}

/** The bit patterns of `values`, as a view (a Float32Array is always 4-byte aligned). */
function float32Words(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}
