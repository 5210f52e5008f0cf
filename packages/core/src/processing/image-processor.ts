/**
 * The image processor: RawImages → `pixel_values` [B, C, H, W] float32, equal
 * to what transformers 5.18's PIL backend (`PilBackend._preprocess`,
 * image_processing_backends.py) returns for ViT, DeiT, BEiT and Donut processors.
 *
 * Per image, in order (`PilBackend._preprocess`):
 * 1. `do_convert_rgb`: L/LA/RGBA → RGB (`Image.convert('RGB')`).
 * 2. `do_resize`: `Image.resize` on uint8 with the configured PIL filter.
 * 3. `do_center_crop`: crop (zero-padded when larger than the image).
 * 4. `do_rescale`: `float32(float64(x) * rescale_factor)`.
 * 5. `do_normalize`: `(x - float32(mean)) / float32(std)` in float32.
 * Steps 4–5 depend only on the uint8 value and the channel, so they run as
 * one 256-entry lookup table per channel.
 *
 * `DonutImageProcessor` (`DonutImageProcessorPil._preprocess` in
 * `models/donut/image_processing_pil_donut.py`) runs, after step 1:
 * `do_align_long_axis` (rotate), `do_resize` (shortest edge to
 * min(height, width) of `size`), `do_thumbnail` (shrink to fit, same filter
 * but BICUBIC when it is unset or NEAREST: Python's `resample or BICUBIC`),
 * `do_pad` (centred, zeros), then center crop, rescale and normalise.
 *
 * `NougatImageProcessor` (`NougatImageProcessorPil._preprocess` in
 * `models/nougat/image_processing_pil_nougat.py`) runs `do_crop_margin` (crop to the
 * page's content, `nougat.ts`) and then Donut's steps, its thumbnail always
 * BICUBIC with Pillow's `reducing_gap=2.0`, and no center crop.
 */
import { VedError } from '../errors.js';
import { centerCrop } from './center-crop.js';
import { alignLongAxis, padCentered, thumbnailSize } from './donut.js';
import { cropMargin } from './nougat.js';
import { loadImageProcessorClass, parseImageProcessorConfig, type ImageProcessorConfig, type ParseImageProcessorConfigOptions } from './image-processor-config.js';
import { pilResize } from './pil-resize.js';
import { PilResample } from './resample.js';
import { assertRawImage, convertToRgb, pilMode, type RawImage } from './raw-image.js';
import { resizeOutputSize } from './size.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from './image-header.js';

/** Model input: row-major float32 with dims [batch, channels, height, width]. */
export interface PixelValues {
  data: Float32Array;
  dims: [number, number, number, number];
}

export class ImageProcessor {
  readonly config: Readonly<ImageProcessorConfig>;

  /** Checks the options a step needs, as `validate_preprocess_arguments` does (INVALID_CONFIG). */
  constructor(config: ImageProcessorConfig, readonly source = 'preprocessor_config.json') {
    const c = config;
    const fail = (msg: string): never => {
      throw new VedError('INVALID_CONFIG', `${source} (${c.imageProcessorType}): ${msg}`);
    };
    if (c.doRescale && c.rescaleFactor === null) fail('"rescale_factor" must be set when "do_rescale" is true.');
    if (c.doNormalize && (c.imageMean === null || c.imageStd === null)) fail('"image_mean" and "image_std" must both be set when "do_normalize" is true.');
    if (c.doCenterCrop) {
      if (c.cropSize === null) fail('"crop_size" must be set when "do_center_crop" is true.');
      else if (c.cropSize.height === undefined || c.cropSize.width === undefined) {
        fail(`"crop_size" must have "height" and "width" for a center crop, got ${JSON.stringify(c.cropSize)}.`);
      }
    }
    if (c.doResize) {
      if (c.size === null || c.resample === null) fail('"size" and "resample" must be set when "do_resize" is true.');
      else if (c.donut !== undefined) {
        // Donut's steps read size.height / size.width.
      } else {
        const s = c.size;
        const usable = s.shortest_edge !== undefined || (s.max_height !== undefined && s.max_width !== undefined) || (s.height !== undefined && s.width !== undefined);
        if (!usable) fail(`"size" ${JSON.stringify(s)} cannot drive a resize; it must contain {height, width}, {max_height, max_width}, {shortest_edge} or {shortest_edge, longest_edge}.`);
      }
    }
    const d = c.donut;
    if (d !== undefined && (c.doResize || d.doAlignLongAxis || d.doThumbnail || d.doPad)) {
      if (c.size?.height === undefined || c.size.width === undefined) {
        fail(`"size" must have "height" and "width" for Donut's resize, thumbnail, rotation and padding, got ${JSON.stringify(c.size)}.`);
      }
    }
    this.config = { ...config };
  }

  /** Builds a processor from a parsed preprocessor_config.json object. */
  static fromJson(json: unknown, options: ParseImageProcessorConfigOptions = {}): ImageProcessor {
    return new ImageProcessor(parseImageProcessorConfig(json, options), options.source);
  }

  /**
   * `fromJson`, after importing the processor class when it was declared
   * lazily (the browser backend declares the built-in classes that way).
   */
  static async load(json: unknown, options: ParseImageProcessorConfigOptions = {}): Promise<ImageProcessor> {
    await loadImageProcessorClass(json, options);
    return ImageProcessor.fromJson(json, options);
  }

  /**
   * Steps 1–3 on one image: the uint8 image that rescale and normalise see
   * (HWC; 1, 2, 3 or 4 channels when `do_convert_rgb` is off).
   */
  prepareImage(image: RawImage, what = 'image'): RawImage {
    assertRawImage(image, what);
    try {
      return this.prepareSteps(image);
    } catch (cause) {
      // Name the image (its file) in resize, crop and padding errors.
      if (!(cause instanceof VedError) || cause.message.startsWith(`${what}:`)) throw cause;
      throw new VedError(cause.code === 'INVALID_OPTION' ? 'INVALID_IMAGE' : cause.code, `${what}: ${cause.message}`, { cause });
    }
  }

  private prepareSteps(image: RawImage): RawImage {
    const c = this.config;
    let img = image;
    if (c.doConvertRgb) img = convertToRgb(img);
    if (c.donut !== undefined) return this.prepareDonut(img);
    if (c.doResize && c.size !== null && c.resample !== null) {
      const [h, w] = resizeOutputSize(c.size, img.height, img.width);
      this.checkStepSize(w, h, 'resize ("size")');
      img = pilResize(img, w, h, c.resample);
    }
    if (c.doCenterCrop && c.cropSize !== null) {
      this.checkStepSize(c.cropSize.width!, c.cropSize.height!, 'center crop ("crop_size")');
      img = centerCrop(img, c.cropSize.height!, c.cropSize.width!);
    }
    return img;
  }

  /**
   * Refuses a step whose output would hold more pixels than the decompression-bomb
   * limit: a config asking for such sizes is broken (Python would try to allocate them).
   */
  private checkStepSize(width: number, height: number, step: string): void {
    const pixels = width * height;
    if (!(pixels <= DEFAULT_MAX_IMAGE_PIXELS)) {
      throw new VedError(
        'INVALID_CONFIG',
        `${this.source}: the ${step} step would make a ${width}x${height} image (${pixels} pixels), more than ${DEFAULT_MAX_IMAGE_PIXELS}; check the config's sizes.`,
      );
    }
  }

  /** `DonutImageProcessorPil._preprocess` (or Nougat's) up to the center crop (the constructor checked `size`). */
  private prepareDonut(image: RawImage): RawImage {
    const c = this.config;
    const d = c.donut!;
    const target = c.size as { height: number; width: number };
    const nougat = c.nougat;
    let img = image;
    if (nougat?.doCropMargin) img = cropMargin(img);
    if (d.doAlignLongAxis) img = alignLongAxis(img, target.height, target.width);
    if (c.doResize && c.resample !== null) {
      const [h, w] = resizeOutputSize({ shortest_edge: Math.min(target.height, target.width) }, img.height, img.width);
      this.checkStepSize(w, h, 'resize ("size")');
      img = pilResize(img, w, h, c.resample);
    }
    if (d.doThumbnail) {
      const size = thumbnailSize(img.height, img.width, target.height, target.width);
      if (size !== undefined && (size[0] < 1 || size[1] < 1)) {
        // Pillow: "ValueError: height and width must be > 0".
        throw new VedError('INVALID_IMAGE', `Donut thumbnail: a ${img.width}x${img.height} (width x height) image shrinks to ${size[1]}x${size[0]}; both sides must be at least 1.`);
      }
      // Donut: `resample or BICUBIC` (NEAREST, 0, is falsy too); Nougat: BICUBIC with reducing_gap=2.0.
      if (size !== undefined) {
        img = nougat !== undefined ? pilResize(img, size[1], size[0], PilResample.BICUBIC, { reducingGap: 2 }) : pilResize(img, size[1], size[0], c.resample || PilResample.BICUBIC);
      }
    }
    if (d.doPad) {
      this.checkStepSize(target.width, target.height, 'padding ("size")');
      img = padCentered(img, target.height, target.width);
    }
    // Nougat has no center crop.
    if (nougat === undefined && c.doCenterCrop && c.cropSize !== null) {
      this.checkStepSize(c.cropSize.width!, c.cropSize.height!, 'center crop ("crop_size")');
      img = centerCrop(img, c.cropSize.height!, c.cropSize.width!);
    }
    return img;
  }

  /** Processes a batch; every image must come out with the same shape (as `torch.stack` requires). */
  preprocess(images: readonly RawImage[]): PixelValues {
    if (images.length === 0) throw new VedError('INVALID_INPUT', 'preprocess: expected at least one image, got an empty list.');
    return this.stack(images.map((img, i) => this.prepareImage(img, `images[${i}]`)));
  }

  /**
   * `preprocess` over inputs that still need decoding: each is loaded, prepared
   * (resized, cropped) and dropped before the next is loaded, so a batch holds
   * one decoded image at a time, not all of them. `name` names an input in errors.
   */
  async preprocessEach<T>(
    inputs: readonly T[],
    load: (input: T, index: number) => RawImage | Promise<RawImage>,
    name: (input: T, index: number) => string = (_input, i) => `images[${i}]`,
  ): Promise<PixelValues> {
    if (inputs.length === 0) throw new VedError('INVALID_INPUT', 'preprocess: expected at least one image, got an empty list.');
    const prepared: RawImage[] = [];
    for (let i = 0; i < inputs.length; i++) prepared.push(this.prepareImage(await load(inputs[i]!, i), name(inputs[i]!, i)));
    return this.stack(prepared);
  }

  /** Rescales, normalises and stacks prepared images into `pixel_values`. */
  private stack(prepared: readonly RawImage[]): PixelValues {
    const first = prepared[0]!;
    prepared.forEach((img, i) => {
      if (img.width !== first.width || img.height !== first.height || img.channels !== first.channels) {
        throw new VedError(
          'INVALID_INPUT',
          `preprocess: images[${i}] comes out as ${img.channels}x${img.height}x${img.width} (CxHxW) but images[0] as ` +
            `${first.channels}x${first.height}x${first.width}; a batch needs one shape (use a fixed {height, width} size or process the images one by one).`,
        );
      }
    });
    const { width, height, channels } = first;
    const plane = width * height;
    const data = new Float32Array(prepared.length * channels * plane);
    const luts = this.valueTables(channels);
    prepared.forEach((img, b) => {
      const src = img.data;
      for (let ch = 0; ch < channels; ch++) {
        const lut = luts[ch]!;
        const base = (b * channels + ch) * plane;
        for (let p = 0, s = ch; p < plane; p++, s += channels) data[base + p] = lut[src[s]!]!;
      }
    });
    return { data, dims: [prepared.length, channels, height, width] };
  }

  /** Rescale + normalise of every uint8 value, per channel, with Python's float32/float64 steps. */
  private valueTables(channels: number): Float32Array[] {
    const c = this.config;
    const mean = c.doNormalize ? this.perChannel('image_mean', c.imageMean!, channels) : [];
    const std = c.doNormalize ? this.perChannel('image_std', c.imageStd!, channels) : [];
    const tables: Float32Array[] = [];
    for (let ch = 0; ch < channels; ch++) {
      const lut = new Float32Array(256);
      const m = Math.fround(mean[ch] ?? 0);
      const s = Math.fround(std[ch] ?? 1);
      for (let v = 0; v < 256; v++) {
        let x = c.doRescale ? Math.fround(v * c.rescaleFactor!) : v;
        if (c.doNormalize) x = Math.fround(Math.fround(x - m) / s);
        lut[v] = x;
      }
      tables.push(lut);
    }
    return tables;
  }

  private perChannel(key: string, value: number | number[], channels: number): number[] {
    if (typeof value === 'number') return new Array<number>(channels).fill(value);
    if (value.length !== channels) {
      const mode = pilMode(channels as RawImage['channels']);
      const hint =
        channels !== 3 && !this.config.doConvertRgb
          ? ` Set "do_convert_rgb": true in ${this.source} (or pass RGB images) to convert ${mode} images to RGB first.`
          : '';
      throw new VedError(
        'INVALID_IMAGE',
        `The images reach normalisation with ${channels} channel(s) (${mode}), but "${key}" in ${this.source} has ${value.length} values.${hint}`,
      );
    }
    return value;
  }
}
