/**
 * The `size` / `crop_size` fields of preprocessor_config.json and the output
 * size they give, as transformers' `get_size_dict`, `get_resize_output_image_size`,
 * `get_size_with_aspect_ratio` and `get_image_size_for_max_height_width`
 * (image_processing_utils.py, image_transforms.py, image_utils.py) compute it.
 */
import { VedError } from '../errors.js';

/** A size dict with one of the key sets transformers accepts (see `VALID_SIZE_KEY_SETS`). */
export interface SizeDict {
  height?: number;
  width?: number;
  shortest_edge?: number;
  longest_edge?: number;
  max_height?: number;
  max_width?: number;
  min_pixels?: number;
  max_pixels?: number;
}

type SizeKey = keyof SizeDict;

/** `VALID_SIZE_DICT_KEYS` of image_processing_utils.py. */
export const VALID_SIZE_KEY_SETS: readonly (readonly SizeKey[])[] = [
  ['height', 'width'],
  ['shortest_edge'],
  ['shortest_edge', 'longest_edge'],
  ['longest_edge'],
  ['max_height', 'max_width'],
  ['min_pixels', 'max_pixels'],
];

function describeKeySets(): string {
  return VALID_SIZE_KEY_SETS.map((s) => `{${s.join(', ')}}`).join(', ');
}

/**
 * `get_size_dict`: an int is `{height: s, width: s}` when `defaultToSquare`,
 * else `{shortest_edge: s}`; a `[height, width]` list is `{height, width}`;
 * a dict must use one of the valid key sets.
 *
 * @param where names the file and field for error messages, e.g. `preprocessor_config.json "size"`.
 */
export function parseSizeDict(value: unknown, defaultToSquare: boolean, where: string): SizeDict {
  const isSizeInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (isSizeInt(value)) {
    return defaultToSquare ? { height: value, width: value } : { shortest_edge: value };
  }
  if (Array.isArray(value)) {
    if (value.length === 2 && value.every(isSizeInt)) return { height: value[0] as number, width: value[1] as number };
    throw new VedError('INVALID_CONFIG', `${where} is ${JSON.stringify(value)}; a list size must be [height, width] with positive integers.`);
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    const match = VALID_SIZE_KEY_SETS.find((set) => set.length === keys.length && [...set].sort().every((k, i) => k === keys[i]));
    if (match === undefined) {
      throw new VedError('INVALID_CONFIG', `${where} has keys {${keys.join(', ')}}; expected one of the key sets ${describeKeySets()}.`);
    }
    const out: SizeDict = {};
    for (const k of match) {
      const v = (value as Record<string, unknown>)[k];
      if (!isSizeInt(v)) throw new VedError('INVALID_CONFIG', `${where}: "${k}" is ${JSON.stringify(v)}, expected a positive integer.`);
      out[k] = v;
    }
    return out;
  }
  throw new VedError(
    'INVALID_CONFIG',
    `${where} is ${JSON.stringify(value)}; expected a positive integer, a [height, width] list or a dict with one of the key sets ${describeKeySets()}.`,
  );
}

/** Python's `round()` on a float: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** `get_size_with_aspect_ratio((height, width), size, maxSize)`: returns [height, width]. */
function sizeWithAspectRatio(height: number, width: number, size: number, maxSize: number): [number, number] {
  let rawSize: number | undefined;
  const minOriginal = Math.min(height, width);
  const maxOriginal = Math.max(height, width);
  if ((maxOriginal / minOriginal) * size > maxSize) {
    rawSize = (maxSize * minOriginal) / maxOriginal;
    size = roundHalfEven(rawSize);
  }
  if ((height <= width && height === size) || (width <= height && width === size)) return [height, width];
  if (width < height) {
    const oh = rawSize !== undefined ? Math.trunc((rawSize * height) / width) : Math.trunc((size * height) / width);
    return [oh, size];
  }
  const ow = rawSize !== undefined ? Math.trunc((rawSize * width) / height) : Math.trunc((size * width) / height);
  return [size, ow];
}

/**
 * The `[height, width]` the PIL backend's `resize` targets for an image of
 * `height` × `width` (`PilBackend.resize` in image_processing_backends.py).
 */
export function resizeOutputSize(size: SizeDict, height: number, width: number): [number, number] {
  let out: [number, number];
  if (size.shortest_edge !== undefined && size.longest_edge !== undefined) {
    out = sizeWithAspectRatio(height, width, size.shortest_edge, size.longest_edge);
  } else if (size.shortest_edge !== undefined) {
    // get_resize_output_image_size(default_to_square=False)
    const s = size.shortest_edge;
    const [short, long] = width <= height ? [width, height] : [height, width];
    const newLong = Math.trunc((s * long) / short);
    out = width <= height ? [newLong, s] : [s, newLong];
  } else if (size.max_height !== undefined && size.max_width !== undefined) {
    const scale = Math.min(size.max_height / height, size.max_width / width);
    out = [Math.trunc(height * scale), Math.trunc(width * scale)];
  } else if (size.height !== undefined && size.width !== undefined) {
    out = [size.height, size.width];
  } else {
    throw new VedError(
      'INVALID_CONFIG',
      `size ${JSON.stringify(size)} cannot drive a resize; it must contain {height, width}, {max_height, max_width}, {shortest_edge} or {shortest_edge, longest_edge}.`,
    );
  }
  if (out[0] < 1 || out[1] < 1) {
    // Pillow refuses empty images ("height and width must be > 0").
    throw new VedError(
      'INVALID_IMAGE',
      `size ${JSON.stringify(size)} resizes a ${width}x${height} (width x height) image to ${out[1]}x${out[0]}; both sides must be at least 1.`,
    );
  }
  return out;
}
