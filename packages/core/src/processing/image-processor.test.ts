import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { knownImageProcessorTypes, parseImageProcessorConfig, registerImageProcessor } from './image-processor-config.js';
import { ImageProcessor } from './image-processor.js';
import type { RawImage } from './raw-image.js';
import { parseSizeDict, resizeOutputSize } from './size.js';

function gray(width: number, height: number): RawImage {
  return { width, height, channels: 1, data: new Uint8Array(width * height).fill(128) };
}
function rgb(width: number, height: number, value = 255): RawImage {
  return { width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(value) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof VedError ? e.code : 'not a VedError';
  }
  return undefined;
}

describe('parseImageProcessorConfig', () => {
  it('applies the ViTImageProcessor class defaults', () => {
    const c = parseImageProcessorConfig({ image_processor_type: 'ViTImageProcessor' });
    expect(c).toEqual({
      imageProcessorType: 'ViTImageProcessor',
      doConvertRgb: false,
      doResize: true,
      size: { height: 224, width: 224 },
      defaultToSquare: true,
      resample: 2,
      doCenterCrop: false,
      cropSize: null,
      doRescale: true,
      rescaleFactor: 1 / 255,
      doNormalize: true,
      imageMean: [0.5, 0.5, 0.5],
      imageStd: [0.5, 0.5, 0.5],
    });
  });

  it('reads a TrOCR-style legacy config (feature_extractor_type, int size)', () => {
    const c = parseImageProcessorConfig({
      feature_extractor_type: 'ViTFeatureExtractor',
      processor_class: 'TrOCRProcessor',
      size: 384,
      resample: 3,
      image_mean: [0.5, 0.5, 0.5],
    });
    expect(c.imageProcessorType).toBe('ViTImageProcessor');
    expect(c.size).toEqual({ height: 384, width: 384 });
    expect(c.resample).toBe(3);
  });

  it('ignores a trailing Fast or Pil and prefers image_processor_type', () => {
    expect(parseImageProcessorConfig({ image_processor_type: 'ViTImageProcessorFast' }).imageProcessorType).toBe('ViTImageProcessor');
    expect(parseImageProcessorConfig({ image_processor_type: 'DeiTImageProcessorPil' }).imageProcessorType).toBe('DeiTImageProcessor');
    expect(parseImageProcessorConfig({ image_processor_type: 'BeitImageProcessor', feature_extractor_type: 'ViTFeatureExtractor' }).imageProcessorType).toBe(
      'BeitImageProcessor',
    );
  });

  it('uses DeiT defaults: 256 bicubic then a 224 center crop', () => {
    const c = parseImageProcessorConfig({ image_processor_type: 'DeiTImageProcessor' });
    expect([c.size, c.resample, c.doCenterCrop, c.cropSize]).toEqual([{ height: 256, width: 256 }, 3, true, { height: 224, width: 224 }]);
  });

  it('keeps an explicit null as None rather than the class default', () => {
    const c = parseImageProcessorConfig({ image_processor_type: 'ViTImageProcessor', do_rescale: null, image_mean: null, size: null });
    expect([c.doRescale, c.imageMean, c.size]).toEqual([false, null, null]);
  });

  it('converts int and list sizes as get_size_dict does', () => {
    expect(parseImageProcessorConfig({ image_processor_type: 'ViTImageProcessor', size: 16, default_to_square: false }).size).toEqual({ shortest_edge: 16 });
    expect(parseImageProcessorConfig({ image_processor_type: 'ViTImageProcessor', size: [20, 30] }).size).toEqual({ height: 20, width: 30 });
    expect(parseImageProcessorConfig({ image_processor_type: 'DeiTImageProcessor', crop_size: 17 }).cropSize).toEqual({ height: 17, width: 17 });
  });

  it('rejects an unknown processor, listing the known ones', () => {
    expect(() => parseImageProcessorConfig({ image_processor_type: 'Pix2StructImageProcessor' }, { source: 'model/preprocessor_config.json' })).toThrow(
      /model\/preprocessor_config\.json: unknown image processor "Pix2StructImageProcessor"\. Known image processors: "BeitImageProcessor", "DeiTImageProcessor", "DonutImageProcessor", "NougatImageProcessor", "ViTImageProcessor"/,
    );
    expect(codeOf(() => parseImageProcessorConfig({ image_processor_type: 'Nope' }))).toBe('INVALID_CONFIG');
  });

  it('needs a processor class, or a fallback from the model config', () => {
    expect(() => parseImageProcessorConfig({ size: 10 })).toThrow(/names no processor class/);
    expect(parseImageProcessorConfig({ size: 10 }, { fallbackType: 'ViTImageProcessor' }).size).toEqual({ height: 10, width: 10 });
  });

  it('rejects fields of the wrong type, naming field, value and expectation', () => {
    const base = { image_processor_type: 'ViTImageProcessor' };
    expect(() => parseImageProcessorConfig({ ...base, resample: 7 })).toThrow(/field "resample" is 7, expected a PIL resampling filter/);
    expect(() => parseImageProcessorConfig({ ...base, do_resize: 'yes' })).toThrow(/field "do_resize" is "yes", expected true, false or null/);
    expect(() => parseImageProcessorConfig({ ...base, image_mean: [0.5, 'a'] })).toThrow(/field "image_mean"/);
    expect(() => parseImageProcessorConfig({ ...base, size: { height: 10 } })).toThrow(/"size" has keys \{height\}; expected one of the key sets/);
    expect(() => parseImageProcessorConfig({ ...base, size: { height: 10, width: -1 } })).toThrow(/"width" is -1, expected a positive integer/);
    expect(() => parseImageProcessorConfig([])).toThrow(/expected a JSON object/);
  });

  it('registers more processors with the standard pipeline', () => {
    const defaults = { size: { height: 8, width: 8 }, resample: 2, do_resize: true };
    registerImageProcessor('TestImageProcessor', defaults);
    registerImageProcessor('TestImageProcessor', defaults); // same object: harmless
    expect(() => registerImageProcessor('TestImageProcessor', { ...defaults })).toThrow(/already registered/);
    expect(knownImageProcessorTypes()).toContain('TestImageProcessor');
    const out = ImageProcessor.fromJson({ image_processor_type: 'TestImageProcessor' }).preprocess([rgb(3, 2, 51)]);
    expect(out.dims).toEqual([1, 3, 8, 8]);
    expect(out.data[0]).toBe(51); // no rescale, no normalise by default
  });
});

describe('size dicts', () => {
  it('computes shortest_edge, shortest+longest, max_height/max_width and height/width targets', () => {
    expect(resizeOutputSize({ shortest_edge: 20 }, 48, 64)).toEqual([20, 26]);
    expect(resizeOutputSize({ shortest_edge: 20 }, 64, 48)).toEqual([26, 20]);
    expect(resizeOutputSize({ shortest_edge: 20, longest_edge: 24 }, 48, 64)).toEqual([18, 24]);
    expect(resizeOutputSize({ max_height: 20, max_width: 30 }, 48, 64)).toEqual([20, 26]);
    expect(resizeOutputSize({ height: 5, width: 7 }, 48, 64)).toEqual([5, 7]);
  });

  it('rounds half to even like Python round() in get_size_with_aspect_ratio', () => {
    // raw size 30 * 1 / 60 = 0.5 -> round() = 0 -> an empty image, which Pillow refuses.
    expect(() => resizeOutputSize({ shortest_edge: 10, longest_edge: 30 }, 60, 1)).toThrow(/both sides must be at least 1/);
    // raw size 30 * 5 / 60 = 2.5 -> 2 (not 3); long side int(2.5 * 60 / 5) = 30.
    expect(resizeOutputSize({ shortest_edge: 10, longest_edge: 30 }, 60, 5)).toEqual([30, 2]);
  });

  it('rejects size dicts a resize cannot use', () => {
    expect(parseSizeDict({ longest_edge: 10 }, true, 'size')).toEqual({ longest_edge: 10 });
    expect(() => resizeOutputSize({ longest_edge: 10 }, 5, 5)).toThrow(/cannot drive a resize/);
  });
});

describe('ImageProcessor', () => {
  const vit = { image_processor_type: 'ViTImageProcessor', size: { height: 4, width: 4 } };

  it('checks the options each enabled step needs, as validate_preprocess_arguments', () => {
    expect(() => ImageProcessor.fromJson({ ...vit, image_mean: null })).toThrow(/"image_mean" and "image_std" must both be set when "do_normalize" is true/);
    expect(() => ImageProcessor.fromJson({ ...vit, resample: null })).toThrow(/"size" and "resample" must be set/);
    expect(() => ImageProcessor.fromJson({ ...vit, do_rescale: true, rescale_factor: null })).toThrow(/"rescale_factor" must be set/);
    expect(() => ImageProcessor.fromJson({ ...vit, do_center_crop: true })).toThrow(/"crop_size" must be set/);
    expect(() => ImageProcessor.fromJson({ ...vit, do_center_crop: true, crop_size: { shortest_edge: 3 } })).toThrow(/"crop_size" must have "height" and "width"/);
    expect(() => ImageProcessor.fromJson({ ...vit, size: { longest_edge: 3 } })).toThrow(/cannot drive a resize/);
    expect(codeOf(() => ImageProcessor.fromJson({ ...vit, image_std: null }))).toBe('INVALID_CONFIG');
  });

  it('fails on a grayscale image without do_convert_rgb, with a hint, as Python does', () => {
    const proc = ImageProcessor.fromJson(vit, { source: 'trocr/preprocessor_config.json' });
    expect(() => proc.preprocess([gray(3, 3)])).toThrow(
      /1 channel\(s\) \(L\), but "image_mean" in trocr\/preprocessor_config\.json has 3 values\. Set "do_convert_rgb": true/,
    );
    expect(codeOf(() => proc.preprocess([gray(3, 3)]))).toBe('INVALID_IMAGE');
    const converted = ImageProcessor.fromJson({ ...vit, do_convert_rgb: true }).preprocess([gray(3, 3)]);
    expect(converted.dims).toEqual([1, 3, 4, 4]);
    expect(converted.data[0]).toBeCloseTo(128 / 255 / 0.5 - 1, 6);
  });

  it('rescales in float64 then rounds to float32, and normalises in float32', () => {
    const out = ImageProcessor.fromJson({ ...vit, do_resize: false, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] }).preprocess([
      { width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 1, 77]) },
    ]);
    const f = Math.fround;
    const expectValue = (v: number, m: number, s: number): number => f(f(f(v / 255) - f(m)) / f(s));
    expect([...out.data]).toEqual([expectValue(255, 0.485, 0.229), expectValue(1, 0.456, 0.224), expectValue(77, 0.406, 0.225)]);
  });

  it('batches images of one output shape and rejects mixed shapes', () => {
    const fixed = ImageProcessor.fromJson(vit).preprocess([rgb(3, 5), rgb(9, 2)]);
    expect(fixed.dims).toEqual([2, 3, 4, 4]);
    expect(fixed.data.length).toBe(2 * 3 * 16);
    const shortest = ImageProcessor.fromJson({ ...vit, size: { shortest_edge: 4 } });
    expect(() => shortest.preprocess([rgb(4, 4), rgb(8, 4)])).toThrow(/images\[1\] comes out as 3x4x8 \(CxHxW\) but images\[0\] as 3x4x4/);
    expect(codeOf(() => shortest.preprocess([]))).toBe('INVALID_INPUT');
  });

  it('validates its input images', () => {
    expect(() => ImageProcessor.fromJson(vit).preprocess([rgb(2, 2), { width: 2, height: 2, channels: 3, data: new Uint8Array(3) }])).toThrow(/images\[1\]: data has 3 bytes/);
  });
});
