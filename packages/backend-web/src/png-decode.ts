/**
 * A PNG decoder in TypeScript, giving exactly `np.array(PIL.Image.open(f))`:
 * the browser's decoders premultiply alpha inside canvases (so colour under
 * transparent pixels is lost) and convert 16-bit samples their own way, while
 * PNG is lossless and PIL's result is fully defined. Inflate is the platform's
 * `DecompressionStream('deflate')` (browsers, workers, Node ≥ 18).
 *
 * PIL's modes (PngImagePlugin): gray 1/2/4/8-bit → L (low depths scaled to
 * 0–255), 16-bit gray refused (PIL's "I;16"); RGB → RGB (16-bit: high byte);
 * palette → RGB, or RGBA when a tRNS chunk exists; gray+alpha → LA (16-bit:
 * RGBA); RGBA → RGBA (16-bit: high byte). A tRNS chunk on gray or RGB images
 * does not change their mode. Interlaced (Adam7) files are supported.
 *
 * Before inflating, as `PIL.Image.open` does: the chunk CRCs up to the image
 * data are verified and the IHDR's pixel count is checked against the
 * decompression-bomb limit (`maxImagePixels`, see core's image-header.ts).
 */
import { VedError, checkImagePixels, readPngHeader, type ImageLimitOptions, type RawImage } from '@ved/core';

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const VALID_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

async function inflate(data: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (cause) {
    throw new VedError('INVALID_IMAGE', `${name}: the PNG's image data is corrupt or truncated (${(cause as Error).message}).`, { cause });
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters of one (sub)image in place; returns the rows without their filter bytes. */
function unfilter(data: Uint8Array, offset: number, rows: number, stride: number, bpp: number, name: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let previous: Uint8Array = new Uint8Array(stride);
  for (let y = 0; y < rows; y++) {
    const start = offset + y * (stride + 1);
    if (start + stride + 1 > data.length) throw new VedError('INVALID_IMAGE', `${name}: the PNG's image data is truncated (image file is truncated).`);
    const filter = data[start]!;
    const row = data.subarray(start + 1, start + 1 + stride);
    switch (filter) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < stride; i++) row[i] = (row[i]! + row[i - bpp]!) & 255;
        break;
      case 2:
        for (let i = 0; i < stride; i++) row[i] = (row[i]! + previous[i]!) & 255;
        break;
      case 3:
        for (let i = 0; i < stride; i++) row[i] = (row[i]! + (((i >= bpp ? row[i - bpp]! : 0) + previous[i]!) >> 1)) & 255;
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          row[i] = (row[i]! + paeth(i >= bpp ? row[i - bpp]! : 0, previous[i]!, i >= bpp ? previous[i - bpp]! : 0)) & 255;
        }
        break;
      default:
        throw new VedError('INVALID_IMAGE', `${name}: PNG row ${y} has filter type ${filter}; expected 0–4 (corrupt file).`);
    }
    out.push(row);
    previous = row;
  }
  return out;
}

/** Sample `i` of a row at `depth` bits. */
function sample(row: Uint8Array, i: number, depth: number): number {
  switch (depth) {
    case 8:
      return row[i]!;
    case 16:
      return (row[2 * i]! << 8) | row[2 * i + 1]!;
    default: {
      const bit = i * depth;
      return (row[bit >> 3]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    }
  }
}

export async function decodePng(bytes: Uint8Array, name: string, options: ImageLimitOptions = {}): Promise<RawImage> {
  const declared = readPngHeader(bytes, name);
  if (declared === undefined) throw new VedError('INVALID_IMAGE', `${name}: not a valid PNG (bad signature).`);
  checkImagePixels(declared.width, declared.height, name, options);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (data.length < length) {
      if (type === 'IDAT') idat.push(data);
      break;
    }
    if (type === 'IHDR') {
      const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
      header = { width: d.getUint32(0), height: d.getUint32(4), depth: data[8]!, colorType: data[9]!, interlaced: data[12] === 1 };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (header === undefined) throw new VedError('INVALID_IMAGE', `${name}: not a valid PNG (missing IHDR header).`);
  const { width, height, depth, colorType, interlaced } = header;
  if (!VALID_DEPTHS[colorType]?.includes(depth)) {
    throw new VedError('INVALID_IMAGE', `${name}: PNG colour type ${colorType} with bit depth ${depth} is invalid.`);
  }
  if (width === 0 || height === 0) throw new VedError('INVALID_IMAGE', `${name}: the PNG is ${width}x${height}; expected a non-empty image.`);
  if (colorType === 0 && depth === 16) {
    throw new VedError(
      'INVALID_IMAGE',
      `${name}: 16-bit grayscale PNG. PIL opens it as mode "I;16" (16-bit values) and transformers' processors then work on those values; ved decodes 8-bit images only. Convert the file to 8-bit first.`,
    );
  }
  if (colorType === 3 && palette === undefined) throw new VedError('INVALID_IMAGE', `${name}: palette PNG without a PLTE chunk.`);
  if (idat.length === 0) throw new VedError('INVALID_IMAGE', `${name}: the PNG has no image data (truncated file).`);
  let total = 0;
  for (const chunk of idat) total += chunk.length;
  const compressed = new Uint8Array(total);
  for (let i = 0, o = 0; i < idat.length; o += idat[i]!.length, i++) compressed.set(idat[i]!, o);
  const raw = await inflate(compressed, name);

  const samples = SAMPLES_PER_PIXEL[colorType]!;
  const bpp = Math.max(1, (samples * depth) >> 3);
  const channels: RawImage['channels'] =
    colorType === 0 ? 1 : colorType === 2 ? 3 : colorType === 3 ? (transparency !== undefined ? 4 : 3) : colorType === 4 ? (depth === 16 ? 4 : 2) : 4;
  const out = new Uint8Array(width * height * channels);
  const scale = colorType === 0 && depth < 8 ? 255 / ((1 << depth) - 1) : 1;

  const put = (x: number, y: number, row: Uint8Array, i: number) => {
    let o = (y * width + x) * channels;
    const s = i * samples;
    if (colorType === 3) {
      const index = sample(row, s, depth);
      out[o++] = palette![3 * index] ?? 0;
      out[o++] = palette![3 * index + 1] ?? 0;
      out[o++] = palette![3 * index + 2] ?? 0;
      if (channels === 4) out[o] = transparency![index] ?? 255;
      return;
    }
    if (depth === 16) {
      // PIL keeps the high byte of 16-bit samples (gray+alpha becomes RGBA).
      if (colorType === 4) {
        const g = row[2 * s]!;
        out[o++] = g;
        out[o++] = g;
        out[o++] = g;
        out[o] = row[2 * s + 2]!;
        return;
      }
      for (let c = 0; c < samples; c++) out[o++] = row[2 * (s + c)]!;
      return;
    }
    if (scale !== 1) {
      out[o] = Math.round(sample(row, s, depth) * scale);
      return;
    }
    for (let c = 0; c < samples; c++) out[o++] = row[s + c]!;
  };

  const stride = (w: number) => Math.ceil((w * samples * depth) / 8);
  if (!interlaced) {
    const rows = unfilter(raw, 0, height, stride(width), bpp, name);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) put(x, y, rows[y]!, x);
  } else {
    let offset = 0;
    for (const [x0, y0, dx, dy] of ADAM7) {
      const w = Math.ceil((width - x0) / dx);
      const h = Math.ceil((height - y0) / dy);
      if (w <= 0 || h <= 0) continue;
      const rows = unfilter(raw, offset, h, stride(w), bpp, name);
      offset += h * (stride(w) + 1);
      for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) put(x0 + i * dx, y0 + j * dy, rows[j]!, i);
    }
  }
  return { width, height, channels, data: out };
}
