/**
 * GIF files → RawImage, holding what `np.array(PIL.Image.open(f))` holds after
 * ved's rules for palettes (as for PNG: RGB, or RGBA when the file declares a
 * transparent index). Written by hand because the result must be Pillow's to
 * the byte, which no GIF library gives: Pillow 12 (`GifImagePlugin.py`,
 * `GifImageFile._open` / `_seek(0)` / `load_prepare`, and the LZW decoder
 * `src/libImaging/GifDecode.c`, `ImagingGifDecode`) does this for the first
 * frame, which is all `Image.open` shows:
 *
 * - the logical screen's size, grown to cover the first image if it reaches
 *   past it (Pillow then reports the larger size);
 * - the image's colour table, else the global one; a table that is the
 *   identity grey ramp (entry i = (i, i, i)) counts as none, and an image
 *   without a table opens as mode "L" (its indices are the grey levels),
 *   with one as mode "P";
 * - pixels outside the first image are the transparent index when the
 *   graphic control extension gives one, else 0 (other decoders use the
 *   background colour; Pillow does not);
 * - palette entries past the end of a short table are black;
 * - the LZW stream is decoded as GifDecode.c does, errors included: a first
 *   code after a clear that is above the clear code, a code beyond the next
 *   free table entry, or data that ends before the image is full ("image file
 *   is truncated": an end code before the last pixel counts as that), and
 *   codes after the last pixel are ignored; sub-blocks are read through their
 *   terminator, as Pillow's decoder reads the data as one stream.
 *
 * Mode "P" becomes RGB (RGBA when a transparent index is declared: that
 * index's pixels get alpha 0 and keep their palette colour, as PIL's
 * `convert("RGBA")` gives), mode "L" one channel. Checked against Pillow on
 * random and damaged files by tools/reference/probe_random_gifs.py.
 */
import { VedError } from '../errors.js';
import { checkImagePixels, type ImageLimitOptions } from './image-header.js';
import type { RawImage } from './raw-image.js';

/** Whether `bytes` start with a GIF signature (`GIF87a` or `GIF89a`, as Pillow's `_accept`). */
export function isGif(bytes: Uint8Array): boolean {
  if (bytes.length < 6) return false;
  const head = String.fromCharCode(...bytes.subarray(0, 6));
  return head === 'GIF87a' || head === 'GIF89a';
}

/** The first frame as Pillow reads it, before any colour conversion. */
interface GifFrame {
  width: number;
  height: number;
  /** The image's colour table bytes, or undefined for mode "L". */
  palette: Uint8Array | undefined;
  transparency: number | undefined;
  /** One palette index (or grey level) per pixel of the whole image. */
  indices: Uint8Array;
}

/** Pillow's `_is_palette_needed`: false for the identity grey ramp. */
function paletteNeeded(p: Uint8Array): boolean {
  for (let i = 0; i < p.length; i += 3) {
    const entry = i / 3;
    if (!(entry === p[i] && p[i] === p[i + 1] && p[i + 1] === p[i + 2])) return true;
  }
  return false;
}

function truncated(name: string): VedError {
  return new VedError('INVALID_IMAGE', `${name}: the GIF file is truncated (its image data ends before the last pixel; PIL raises "image file is truncated").`);
}

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  /** Up to `n` bytes (fewer at the end of the file, as a Python `read`). */
  read(n: number): Uint8Array {
    const out = this.bytes.subarray(this.at, Math.min(this.bytes.length, this.at + n));
    this.at += out.length;
    return out;
  }
  /** Pillow's `GifImageFile.data()`: the next sub-block, or undefined at a terminator or the end. */
  block(): Uint8Array | undefined {
    const size = this.read(1);
    if (size.length === 0 || size[0] === 0) return undefined;
    return this.read(size[0]!);
  }
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function readFirstFrame(bytes: Uint8Array, name: string, options: ImageLimitOptions): GifFrame {
  const bad = (why: string) => new VedError('INVALID_IMAGE', `${name}: not a valid GIF (${why}).`);
  if (!isGif(bytes)) throw bad('no GIF87a/GIF89a signature');
  if (bytes.length < 13) throw bad('the header is cut short');
  const r = new Reader(bytes);
  r.at = 13;
  let width = u16(bytes, 6);
  let height = u16(bytes, 8);
  let globalPalette: Uint8Array | undefined;
  const flags = bytes[10]!;
  if (flags & 0x80) {
    const p = r.read(3 << ((flags & 7) + 1));
    if (paletteNeeded(p)) globalPalette = p;
  }
  let transparency: number | undefined;
  // _seek(0): extensions and stray bytes until the first image descriptor.
  for (;;) {
    const s = r.read(1);
    if (s.length === 0 || s[0] === 0x3b) throw bad('no image in the file');
    if (s[0] === 0x21) {
      const label = r.read(1);
      const block = r.block();
      if (label[0] === 0xfe) {
        // A comment: its blocks up to the first empty one, and no further.
        for (let b = block; b !== undefined && b.length > 0; b = r.block()) {
          /* skip */
        }
        continue;
      }
      if (label[0] === 0xf9 && block !== undefined) {
        // Graphic control extension: Pillow reads the delay (bytes 1-2), and the transparent index (byte 3) when bit 0 is set.
        const flagged = block.length > 0 && (block[0]! & 1) === 1;
        if (block.length < (flagged ? 4 : 3)) throw bad(`a graphic control extension of ${block.length} bytes`);
        if (flagged) transparency = block[3];
      }
      // Every other extension, and the rest of this one: Pillow skips sub-blocks up to an empty one (even
      // when the first was already empty).
      while (r.block() !== undefined) {
        /* skip */
      }
      continue;
    }
    if (s[0] !== 0x2c) continue; // Pillow skips any other byte
    const d = r.read(9);
    if (d.length < 9) throw bad('an image descriptor is cut short');
    const x0 = u16(d, 0);
    const y0 = u16(d, 2);
    const x1 = x0 + u16(d, 4);
    const y1 = y0 + u16(d, 6);
    width = Math.max(width, x1);
    height = Math.max(height, y1);
    checkImagePixels(width, height, name, options);
    const imageFlags = d[8]!;
    let palette = globalPalette;
    if (imageFlags & 0x80) {
      const p = r.read(3 << ((imageFlags & 7) + 1));
      palette = paletteNeeded(p) ? p : undefined;
    }
    const bits = r.read(1);
    if (bits.length === 0) throw truncated(name);
    const indices = new Uint8Array(width * height);
    if (transparency !== undefined) indices.fill(transparency);
    decodeLzw(bytes, r.at, bits[0]!, (imageFlags & 0x40) !== 0, indices, width, x0, y0, x1 - x0, y1 - y0, name);
    return { width, height, palette, transparency, indices };
  }
}

const GIF_TABLE = 4096;

/**
 * `ImagingGifDecode` over the rest of the file from `start`: writes the `xsize` × `ysize`
 * region at (`xoff`, `yoff`) of `out` (row length `stride`).
 */
function decodeLzw(
  bytes: Uint8Array,
  start: number,
  bits: number,
  interlaced: boolean,
  out: Uint8Array,
  stride: number,
  xoff: number,
  yoff: number,
  xsize: number,
  ysize: number,
  name: string,
): void {
  const broken = (why: string) => new VedError('INVALID_IMAGE', `${name}: broken GIF image data (${why}; PIL raises "broken data stream").`);
  if (bits > 12) throw new VedError('INVALID_IMAGE', `${name}: the GIF's LZW code size is ${bits} (at most 12).`);
  // Pillow's decoder refuses an empty tile (and its ImageFile an image with no pixels).
  if (xsize <= 0 || ysize <= 0) throw new VedError('INVALID_IMAGE', `${name}: the GIF's first image is ${xsize}x${ysize} pixels (PIL raises "tile cannot extend outside image").`);
  const clear = 1 << bits;
  const end = clear + 1;
  const data = new Uint8Array(GIF_TABLE);
  const link = new Uint16Array(GIF_TABLE);
  const stack = new Uint8Array(GIF_TABLE);
  let interlace = interlaced ? 1 : 0;
  let step = interlaced ? 8 : 1;
  let x = 0;
  let y = 0;
  let done = false;
  // Advances to the next row (NEWLINE in GifDecode.c); `done` once the image is full.
  const newline = () => {
    x = 0;
    y += step;
    while (y >= ysize) {
      if (interlace === 1) {
        y = 4;
        interlace = 2;
      } else if (interlace === 2) {
        step = 4;
        y = 2;
        interlace = 3;
      } else if (interlace === 3) {
        step = 2;
        y = 1;
        interlace = 0;
      } else {
        done = true;
        return;
      }
    }
  };
  const put = (v: number) => {
    out[(y + yoff) * stride + xoff + x] = v;
    if (++x >= xsize) newline();
  };

  let at = start;
  let blockLeft = 0;
  let bitBuffer = 0;
  let bitCount = 0;
  let state = 1; // 1: reset the table, 2: first code after a clear, 3: decoding
  let next = 0;
  let codeSize = 0;
  let codeMask = 0;
  let lastCode = 0;
  let lastData = 0;
  for (;;) {
    if (state === 1) {
      next = clear + 2;
      codeSize = bits + 1;
      codeMask = (1 << codeSize) - 1;
      state = 2;
    }
    while (bitCount < codeSize) {
      if (blockLeft > 0) {
        bitBuffer |= bytes[at++]! << bitCount;
        bitCount += 8;
        blockLeft--;
      } else {
        // A new sub-block, decoded only when all of it is there.
        if (at >= bytes.length || at + 1 + bytes[at]! > bytes.length) throw truncated(name);
        blockLeft = bytes[at++]!;
      }
    }
    let c = bitBuffer & codeMask;
    bitBuffer >>>= codeSize;
    bitCount -= codeSize;
    if (c === clear) {
      if (state !== 2) state = 1;
      continue;
    }
    // Pillow stops at the end code and asks for more data, which a whole file does not have.
    if (c === end) throw truncated(name);
    if (state === 2) {
      if (c > clear) throw broken(`code ${c} after a clear code`);
      lastData = lastCode = c;
      state = 3;
      put(c);
      if (done) return;
      continue;
    }
    const thisCode = c;
    if (c > next) throw broken(`code ${c} beyond the table's next entry ${next}`);
    let depth = 0;
    if (c === next) {
      stack[depth++] = lastData;
      c = lastCode;
    }
    while (c >= clear) {
      if (depth >= GIF_TABLE) throw broken('a string longer than the table');
      stack[depth++] = data[c]!;
      c = link[c]!;
    }
    lastData = c;
    if (next < GIF_TABLE) {
      data[next] = c;
      link[next] = lastCode;
      if (next === codeMask && codeSize < 12) {
        codeSize++;
        codeMask = (1 << codeSize) - 1;
      }
      next++;
    }
    lastCode = thisCode;
    put(c);
    if (done) return;
    while (depth > 0) {
      put(stack[--depth]!);
      if (done) return;
    }
  }
}

/**
 * Decodes a GIF's first frame as PIL opens it (see the module comment). `name` names the file in
 * errors; a corrupt or truncated file is `INVALID_IMAGE`, one larger than `options.maxImagePixels`
 * `IMAGE_TOO_LARGE` (checked before the pixels are allocated).
 */
export function decodeGif(bytes: Uint8Array, name: string, options: ImageLimitOptions = {}): RawImage {
  const frame = readFirstFrame(bytes, name, options);
  const { width, height, palette, transparency, indices } = frame;
  if (palette === undefined) return { width, height, channels: 1, data: indices };
  const channels = transparency === undefined ? 3 : 4;
  const data = new Uint8Array(width * height * channels);
  const entries = Math.floor(palette.length / 3);
  for (let p = 0, o = 0; p < indices.length; p++, o += channels) {
    const i = indices[p]!;
    if (i < entries) {
      data[o] = palette[3 * i]!;
      data[o + 1] = palette[3 * i + 1]!;
      data[o + 2] = palette[3 * i + 2]!;
    }
    if (channels === 4) data[o + 3] = i === transparency ? 0 : 255;
  }
  return { width, height, channels, data };
}
