/**
 * A decoded image as plain bytes, the input of every image processor. It holds
 * exactly what `np.array(PIL.Image.open(f))` holds for modes L, LA, RGB and
 * RGBA: uint8, height × width × channels, row-major, channels interleaved.
 */
import { VedError } from '../errors.js';

export interface RawImage {
  width: number;
  height: number;
  /** 1 = L (grayscale), 2 = LA, 3 = RGB, 4 = RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** HWC, row-major; length width * height * channels. */
  data: Uint8Array;
}

/** PIL's mode name for a channel count. */
export function pilMode(channels: RawImage['channels']): 'L' | 'LA' | 'RGB' | 'RGBA' {
  return (['L', 'LA', 'RGB', 'RGBA'] as const)[channels - 1]!;
}

/** Throws `INVALID_IMAGE` unless `img` is a well-formed RawImage. `what` names it in the message. */
export function assertRawImage(img: RawImage, what = 'image'): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new VedError('INVALID_IMAGE', `${what}: width and height must be positive integers, got ${width}x${height}.`);
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new VedError('INVALID_IMAGE', `${what}: channels must be 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA), got ${String(channels)}.`);
  }
  if (!(data instanceof Uint8Array)) {
    throw new VedError('INVALID_IMAGE', `${what}: data must be a Uint8Array of HWC bytes.`);
  }
  if (data.length !== width * height * channels) {
    throw new VedError(
      'INVALID_IMAGE',
      `${what}: data has ${data.length} bytes, expected width * height * channels = ${width} * ${height} * ${channels} = ${width * height * channels}.`,
    );
  }
}

/**
 * `Image.convert('RGB')` for L, LA, RGB and RGBA: gray is replicated, alpha is
 * dropped (not composited over a background). An RGB image is returned as is.
 */
export function convertToRgb(img: RawImage): RawImage {
  const { width, height, channels, data } = img;
  if (channels === 3) return img;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const v = data[i * channels]!;
      out[j] = v;
      out[j + 1] = v;
      out[j + 2] = v;
    }
  } else {
    for (let i = 0, j = 0, s = 0; i < n; i++, j += 3, s += 4) {
      out[j] = data[s]!;
      out[j + 1] = data[s + 1]!;
      out[j + 2] = data[s + 2]!;
    }
  }
  return { width, height, channels: 3, data: out };
}
