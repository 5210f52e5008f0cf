/**
 * Pillow's resampling kernels, ported by hand because image processors must
 * match Python (transformers' PIL backend) bit for bit, and no JS image library
 * reproduces Pillow's arithmetic.
 *
 * - Every filter but NEAREST follows `src/libImaging/Resample.c`
 *   (`precompute_coeffs`, `normalize_coeffs_8bpc`, `ImagingResampleHorizontal_8bpc`,
 *   `ImagingResampleVertical_8bpc`, `ImagingResampleInner`): an antialiased
 *   separable convolution whose support grows with the downscale factor;
 *   coefficients in float64, normalised to sum 1, then fixed point with
 *   PRECISION_BITS = 22 (rounded away from zero); the accumulator starts at
 *   2^21 and the result is `clip(acc >> 22, 0, 255)`. Horizontal pass first,
 *   rounded to uint8, then vertical; a pass runs only if its size changes.
 * - NEAREST follows `ImagingScaleAffine` in `src/libImaging/Geometry.c`
 *   (`Image.resize` sends it through `ImagingTransform`, not Resample.c): source
 *   positions are accumulated in float64 (`xo += scale`) and truncated.
 *
 * Channels are independent (Pillow resamples each band alone), so one loop
 * serves L, LA, RGB and RGBA. Alpha premultiplication is the caller's job
 * (`pil-resize.ts`), as it is `Image.resize`'s in Pillow.
 *
 * Reference: https://github.com/python-pillow/Pillow/blob/main/src/libImaging/Resample.c
 */
import type { RawImage } from './raw-image.js';

/** PIL's `Image.Resampling` values, as `resample` holds them in preprocessor_config.json. */
export const PilResample = {
  NEAREST: 0,
  LANCZOS: 1,
  BILINEAR: 2,
  BICUBIC: 3,
  BOX: 4,
  HAMMING: 5,
} as const;

export type PilResampleFilter = (typeof PilResample)[keyof typeof PilResample];

/** Filter name by value, e.g. `RESAMPLE_NAMES[2] === 'BILINEAR'`. */
export const RESAMPLE_NAMES: Readonly<Record<PilResampleFilter, string>> = {
  0: 'NEAREST',
  1: 'LANCZOS',
  2: 'BILINEAR',
  3: 'BICUBIC',
  4: 'BOX',
  5: 'HAMMING',
};

export function isPilResampleFilter(v: unknown): v is PilResampleFilter {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 5;
}

interface Filter {
  fn: (x: number) => number;
  support: number;
}

function boxFilter(x: number): number {
  return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
}

function bilinearFilter(x: number): number {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// The C source writes these constants as float literals (0.54f, 0.46f), promoted to double.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

function hammingFilter(x: number): number {
  if (x < 0.0) x = -x;
  if (x === 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * Math.PI;
  return (Math.sin(x) / x) * (HAMMING_A + HAMMING_B * Math.cos(x));
}

function bicubicFilter(x: number): number {
  const a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

function sinc(x: number): number {
  if (x === 0.0) return 1.0;
  x = x * Math.PI;
  return Math.sin(x) / x;
}

function lanczosFilter(x: number): number {
  return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
}

const FILTERS: Readonly<Record<Exclude<PilResampleFilter, 0>, Filter>> = {
  1: { fn: lanczosFilter, support: 3.0 },
  2: { fn: bilinearFilter, support: 1.0 },
  3: { fn: bicubicFilter, support: 2.0 },
  4: { fn: boxFilter, support: 0.5 },
  5: { fn: hammingFilter, support: 1.0 },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Fixed-point coefficients of one axis: output i reads `bounds[2i+1]` inputs from `bounds[2i]`. */
interface AxisCoefficients {
  ksize: number;
  bounds: Int32Array;
  kk: Int32Array;
}

/**
 * `precompute_coeffs` + `normalize_coeffs_8bpc` for the input range [in0, in1] (Pillow's `box`, held in C
 * floats: the caller passes them through `Math.fround`).
 */
function precomputeCoefficients(inSize: number, in0: number, in1: number, outSize: number, filter: Filter): AxisCoefficients {
  // (double)(in1 - in0) / outSize: the difference of two C floats, exact in float64 too.
  const scale = Math.fround(in1 - in0) / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const v = filter.fn((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    const off = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0.0 ? w[x]! / ww : w[x]!;
      kk[off + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** `ImagingResampleHorizontal_8bpc` over rows [rowStart, rowStart + rows) of `src`. */
function resampleHorizontal(
  src: Uint8Array,
  srcWidth: number,
  channels: number,
  rowStart: number,
  rows: number,
  outWidth: number,
  co: AxisCoefficients,
): Uint8Array {
  const { ksize, bounds, kk } = co;
  const out = new Uint8Array(outWidth * rows * channels);
  const inStride = srcWidth * channels;
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + rowStart) * inStride;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2]!;
      const n = bounds[xx * 2 + 1]!;
      const kOff = xx * ksize;
      const base = rowIn + xmin * channels;
      if (channels === 3) {
        // The common case, unrolled: one pass over the kernel for all three channels.
        let a0 = HALF;
        let a1 = HALF;
        let a2 = HALF;
        for (let i = 0, p = base; i < n; i++, p += 3) {
          const k = kk[kOff + i]!;
          a0 += src[p]! * k;
          a1 += src[p + 1]! * k;
          a2 += src[p + 2]! * k;
        }
        out[o++] = clip8(a0);
        out[o++] = clip8(a1);
        out[o++] = clip8(a2);
      } else {
        for (let c = 0; c < channels; c++) {
          let acc = HALF;
          for (let i = 0, p = base + c; i < n; i++, p += channels) acc += src[p]! * kk[kOff + i]!;
          out[o++] = clip8(acc);
        }
      }
    }
  }
  return out;
}

/**
 * `ImagingResampleVertical_8bpc`. Channels share the kernel, so a row is one flat
 * run; rows are accumulated one source row at a time for cache locality (the sum
 * of the same integer products, so the result is unchanged).
 */
function resampleVertical(src: Uint8Array, rowLength: number, outHeight: number, co: AxisCoefficients): Uint8Array {
  const { ksize, bounds, kk } = co;
  const out = new Uint8Array(rowLength * outHeight);
  // Integer sums stay below 2^31 (as in C's int); float64 holds them exactly.
  const acc = new Float64Array(rowLength);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2]!;
    const n = bounds[yy * 2 + 1]!;
    const kOff = yy * ksize;
    acc.fill(HALF);
    for (let i = 0; i < n; i++) {
      const k = kk[kOff + i]!;
      const row = (ymin + i) * rowLength;
      for (let x = 0; x < rowLength; x++) acc[x] = acc[x]! + src[row + x]! * k;
    }
    const rowOut = yy * rowLength;
    for (let x = 0; x < rowLength; x++) out[rowOut + x] = clip8(acc[x]!);
  }
  return out;
}

/** Pillow's `box`: the source region [x0, x1) × [y0, y1) a resize reads, in pixels (fractions allowed). */
export type ResampleBox = readonly [x0: number, y0: number, x1: number, y1: number];

/**
 * `ImagingResample` (all filters but NEAREST) of `box` (default: the whole image) to `width` × `height`.
 * Returns a copy when nothing changes.
 */
export function resampleConvolution(img: RawImage, width: number, height: number, filter: Exclude<PilResampleFilter, 0>, box?: ResampleBox): RawImage {
  const f = FILTERS[filter];
  const { channels } = img;
  const [x0, y0, x1, y1] = (box ?? [0, 0, img.width, img.height]).map((v) => Math.fround(v)) as unknown as [number, number, number, number];
  // ImagingResampleInner's tests, the quirk included: box[2] is compared with the output width.
  const needHorizontal = width !== img.width || x0 !== 0 || x1 !== width;
  const needVertical = height !== img.height || y0 !== 0 || y1 !== height;

  const vert = precomputeCoefficients(img.height, y0, y1, height, f);
  // Rows of the source the vertical pass reads; the horizontal pass skips the others.
  const yFirst = vert.bounds[0]!;
  const yLast = vert.bounds[height * 2 - 2]! + vert.bounds[height * 2 - 1]!;

  let data = img.data;
  let rows = img.height;
  if (needHorizontal) {
    const horiz = precomputeCoefficients(img.width, x0, x1, width, f);
    for (let i = 0; i < height; i++) vert.bounds[i * 2] = vert.bounds[i * 2]! - yFirst;
    rows = yLast - yFirst;
    data = resampleHorizontal(img.data, img.width, channels, yFirst, rows, width, horiz);
  }
  if (needVertical) {
    data = resampleVertical(data, width * channels, height, vert);
    rows = height;
  }
  if (data === img.data) data = img.data.slice();
  return { width, height: rows, channels, data };
}

/** `ImagingScaleAffine` with nearest-neighbour sampling: what `Image.resize(size, NEAREST)` does. */
export function resampleNearest(img: RawImage, width: number, height: number): RawImage {
  const { channels } = img;
  const a0 = Math.fround(img.width) / width;
  const a4 = Math.fround(img.height) / height;

  // COORD(v) in Geometry.c: -1 for negatives, else truncation.
  const xintab = new Int32Array(width);
  let xmin = width;
  let xmax = 0;
  let xo = a0 * 0.5;
  for (let x = 0; x < width; x++) {
    const xin = xo < 0.0 ? -1 : Math.trunc(xo);
    if (xin >= 0 && xin < img.width) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xintab[x] = xin;
    }
    xo += a0;
  }

  const out = new Uint8Array(width * height * channels); // zero fill, as `fill = 1`
  const src = img.data;
  const inStride = img.width * channels;
  let yo = a4 * 0.5;
  for (let y = 0; y < height; y++) {
    const yi = yo < 0.0 ? -1 : Math.trunc(yo);
    if (yi >= 0 && yi < img.height) {
      const rowIn = yi * inStride;
      let o = (y * width + xmin) * channels;
      for (let x = xmin; x < xmax; x++) {
        const s = rowIn + xintab[x]! * channels;
        for (let c = 0; c < channels; c++) out[o++] = src[s + c]!;
      }
    }
    yo += a4;
  }
  return { width, height, channels, data: out };
}
