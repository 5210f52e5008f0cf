import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { alignLongAxis, padCentered, thumbnailSize } from './donut.js';
import { parseImageProcessorConfig } from './image-processor-config.js';
import { ImageProcessor } from './image-processor.js';
import type { RawImage } from './raw-image.js';

/** A 1-channel image whose pixel values are 0, 1, 2, ... in row-major order. */
function ramp(width: number, height: number): RawImage {
  return { width, height, channels: 1, data: Uint8Array.from({ length: width * height }, (_, i) => i) };
}

describe('Donut steps', () => {
  it('align_long_axis rotates 90° clockwise only when orientations differ', () => {
    const img = ramp(3, 2); // rows [0 1 2], [3 4 5]
    const r = alignLongAxis(img, 4, 2); // portrait target, landscape image
    expect([r.width, r.height, [...r.data]]).toEqual([2, 3, [3, 0, 4, 1, 5, 2]]);
    expect(alignLongAxis(img, 2, 4)).toBe(img); // same orientation
    expect(alignLongAxis(img, 3, 3)).toBe(img); // square target
    const square = ramp(2, 2);
    expect(alignLongAxis(square, 4, 2)).toBe(square); // square image
  });

  it('thumbnail shrinks to fit with the aspect ratio, truncating like int()', () => {
    expect(thumbnailSize(48, 64, 64, 48)).toEqual([36, 48]); // spec example: 64x48 -> 48x36
    expect(thumbnailSize(87, 48, 64, 48)).toEqual([64, 35]);
    expect(thumbnailSize(10, 10, 64, 48)).toBeUndefined();
    expect(thumbnailSize(50, 50, 40, 30)).toEqual([40, 30]); // square image: both sides clamp, no ratio step
  });

  it('pads centred with zeros, extra row/column at the bottom/right', () => {
    const p = padCentered(ramp(1, 1), 4, 3);
    expect([p.width, p.height]).toEqual([3, 4]);
    expect([...p.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const q = padCentered({ width: 1, height: 1, channels: 1, data: Uint8Array.from([9]) }, 4, 3);
    expect(q.data.indexOf(9)).toBe(1 * 3 + 1); // top = 3 // 2 = 1, left = 2 // 2 = 1
    expect(() => padCentered(ramp(5, 5), 4, 4)).toThrow(VedError);
  });
});

describe('DonutImageProcessor config', () => {
  it('applies the class defaults', () => {
    const c = parseImageProcessorConfig({ image_processor_type: 'DonutImageProcessor' });
    expect([c.size, c.resample, c.donut]).toEqual([{ height: 2560, width: 1920 }, 2, { doAlignLongAxis: false, doThumbnail: true, doPad: true }]);
  });

  it('reads a list size as [width, height] and the legacy DonutFeatureExtractor name', () => {
    const c = parseImageProcessorConfig({ feature_extractor_type: 'DonutFeatureExtractor', size: [1920, 2560] });
    expect([c.imageProcessorType, c.size]).toEqual(['DonutImageProcessor', { height: 2560, width: 1920 }]);
  });

  it('needs a {height, width} size', () => {
    expect(() => ImageProcessor.fromJson({ image_processor_type: 'DonutImageProcessor', size: { shortest_edge: 10 } })).toThrow(
      /"size" must have "height" and "width" for Donut/,
    );
  });

  it('runs resize, thumbnail and pad to the target size', () => {
    const out = ImageProcessor.fromJson({ image_processor_type: 'DonutImageProcessor', size: { height: 8, width: 6 } }).preprocess([
      { width: 20, height: 10, channels: 3, data: new Uint8Array(600).fill(255) },
    ]);
    expect(out.dims).toEqual([1, 3, 8, 6]);
    // 20x10 -> shortest edge 6: 12x6 -> thumbnail 6x3 -> padded rows 0..1 and 5..7 are -1 (zero after normalising).
    expect(out.data[0]).toBe(-1);
    expect(out.data[2 * 6]).toBe(1);
    expect(out.data[5 * 6]).toBe(-1);
  });
});
