/**
 * `preprocessor_config.json` read as transformers 5.18 reads it into an image
 * processor. The processor classes and their Python class defaults come from
 * the registry: each architecture package lists the classes its checkpoints
 * use (`EncoderPlugin.imageProcessors`), and the backends register the
 * built-in architectures' classes up front.
 *
 * Semantics kept from Python (`ImageProcessingMixin.__init__` + `_set_attributes`):
 * a missing field takes the class default, but an explicit `null` stays None —
 * a None flag is off, and a None value that an enabled step needs is an error.
 * The class comes from `image_processor_type`, else from the legacy
 * `feature_extractor_type` (`...FeatureExtractor` → `...ImageProcessor`); a
 * trailing `Fast` (torchvision backend) or `Pil` is ignored: ved always
 * reproduces the PIL backend.
 *
 * Legacy forms read as 5.18 reads them (checked against Python on 4.x
 * feature-extractor configs, fixtures/processing-legacy): `size` / `crop_size`
 * as an int or a [height, width] list (`get_size_dict`), Donut's [width, height]
 * list, flags given as numbers (Python's truthiness), a `resample` that is not
 * an integer (BILINEAR, as `PilBackend.resize` substitutes), keys 5.18 no
 * longer reads (`reduce_labels`, `max_size`, `keep_ratio`, ...) ignored.
 */
import { VedError, listChoices } from '../errors.js';
import {
  findEncoder,
  getImageProcessorDefinition,
  knownImageProcessorNames,
  lazyImageProcessorPackage,
  loadImageProcessorDefinition,
  registerImageProcessors,
} from '../registry/registry.js';
import { PilResample, isPilResampleFilter, type PilResampleFilter } from './resample.js';
import { parseSizeDict, type SizeDict } from './size.js';

export interface ImageProcessorConfig {
  /** Canonical class name, e.g. `ViTImageProcessor`. */
  imageProcessorType: string;
  /** `do_convert_rgb`; Python's default None means "do not convert". */
  doConvertRgb: boolean;
  doResize: boolean;
  /** `size` (an int or list in old configs is converted as `get_size_dict` does). */
  size: SizeDict | null;
  defaultToSquare: boolean;
  /** PIL filter: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming. */
  resample: PilResampleFilter | null;
  doCenterCrop: boolean;
  cropSize: SizeDict | null;
  doRescale: boolean;
  rescaleFactor: number | null;
  doNormalize: boolean;
  /** One value per channel, or one value for all channels. */
  imageMean: number | number[] | null;
  imageStd: number | number[] | null;
  /** Present for a class with Donut's pipeline (`DonutImageProcessor`; see `donut.ts`), and Nougat's. */
  donut?: DonutOptions;
  /** Present for a class with Nougat's pipeline (`NougatImageProcessor`; see `nougat.ts`). */
  nougat?: NougatOptions;
}

/** `NougatImageProcessor`'s own step. */
export interface NougatOptions {
  /** `do_crop_margin`: crop to the page's content first (default true). */
  doCropMargin: boolean;
}

/** `DonutImageProcessor`'s own steps (all need a `{height, width}` size). */
export interface DonutOptions {
  /** `do_align_long_axis`: rotate 90° clockwise to the target's orientation (default false). */
  doAlignLongAxis: boolean;
  /** `do_thumbnail`: shrink to fit the target, aspect ratio kept (default true). */
  doThumbnail: boolean;
  /** `do_pad`: zero-pad to the target, centred (default true). */
  doPad: boolean;
}

export interface ParseImageProcessorConfigOptions {
  /** Names the file in error messages (default `preprocessor_config.json`). */
  source?: string;
  /**
   * Processor class to use when the file names none (Python then asks the
   * model's config.json, e.g. its `image_processor_type`).
   */
  fallbackType?: string;
  /**
   * `model_type` of the checkpoint's config.json, when the file names no class
   * and `fallbackType` is not given: the registered encoder's
   * `defaultImageProcessor` is used, as `AutoImageProcessor` falls back on
   * `IMAGE_PROCESSOR_MAPPING_NAMES` for a model's own config.
   */
  modelType?: string;
}

/** `BaseImageProcessor` class attributes every processor inherits. */
const BASE_DEFAULTS: Readonly<Record<string, unknown>> = { default_to_square: true, rescale_factor: 1 / 255 };

/**
 * Makes a processor class that uses the standard pipeline (convert → resize →
 * center crop → rescale → normalise) known under `name`, with its Python class
 * defaults in snake_case. Registering the same defaults object twice is
 * harmless; a different one under a taken name throws `DUPLICATE_REGISTRATION`.
 * Architectures list their classes in `EncoderPlugin.imageProcessors` instead.
 */
export function registerImageProcessor(name: string, defaults: Readonly<Record<string, unknown>>): void {
  registerImageProcessors([{ name, defaults }]);
}

/** Names of the processor classes ved can run (those the registered architectures and backends brought), sorted. */
export function knownImageProcessorTypes(): string[] {
  return knownImageProcessorNames();
}

/** The class name transformers would load (without `Fast` / `Pil`), registered or not. */
function className(json: Record<string, unknown>, where: string, options: ParseImageProcessorConfigOptions): string {
  const fallbackType = options.fallbackType ?? (options.modelType === undefined ? undefined : findEncoder(options.modelType)?.defaultImageProcessor);
  const explicit = json['image_processor_type'];
  const legacy = json['feature_extractor_type'];
  let name: string;
  if (explicit !== undefined && explicit !== null) {
    if (typeof explicit !== 'string') throw new VedError('INVALID_CONFIG', `${where}: "image_processor_type" is ${JSON.stringify(explicit)}, expected a string.`);
    name = explicit;
  } else if (legacy !== undefined && legacy !== null) {
    if (typeof legacy !== 'string') throw new VedError('INVALID_CONFIG', `${where}: "feature_extractor_type" is ${JSON.stringify(legacy)}, expected a string.`);
    name = legacy.replace('FeatureExtractor', 'ImageProcessor');
  } else if (fallbackType !== undefined) {
    name = fallbackType;
  } else {
    throw new VedError(
      'INVALID_CONFIG',
      `${where} names no processor class: expected "image_processor_type" (or the legacy "feature_extractor_type"), one of ${listChoices(knownImageProcessorNames())}.`,
    );
  }
  if (name.endsWith('Fast')) name = name.slice(0, -4);
  else if (name.endsWith('Pil')) name = name.slice(0, -3);
  return name;
}

function resolveType(json: Record<string, unknown>, where: string, options: ParseImageProcessorConfigOptions): string {
  const name = className(json, where, options);
  if (getImageProcessorDefinition(name) === undefined) {
    const lazy = lazyImageProcessorPackage(name);
    if (lazy !== undefined) {
      throw new VedError(
        'MISSING_PACKAGE',
        `${where}: the image processor "${name}" lives in ${lazy} and is not loaded yet; build the processor with the async ImageProcessor.load, which imports it.`,
      );
    }
    throw new VedError(
      'INVALID_CONFIG',
      `${where}: unknown image processor "${name}". Known image processors: ${listChoices(knownImageProcessorNames())}. ` +
        'An encoder package registers its classes when loaded; register another with registerImageProcessors (e.g. from @ved/encoder-vit/image-processors).',
    );
  }
  return name;
}

function asObject(json: unknown, where: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new VedError('INVALID_CONFIG', `${where}: expected a JSON object, got ${Array.isArray(json) ? 'an array' : JSON.stringify(json)}.`);
  }
  return json as Record<string, unknown>;
}

/**
 * Imports the image-processor class a `preprocessor_config.json` names when it
 * was declared lazily (`registerLazy('image-processor', ...)`, as the browser
 * backend declares the built-in ones), so that `parseImageProcessorConfig`
 * finds it. Unknown classes are left to `parseImageProcessorConfig` to report.
 */
export async function loadImageProcessorClass(json: unknown, options: ParseImageProcessorConfigOptions = {}): Promise<void> {
  const where = options.source ?? 'preprocessor_config.json';
  await loadImageProcessorDefinition(className(asObject(json, where), where, options));
}

class FieldReader {
  constructor(
    private readonly merged: Record<string, unknown>,
    private readonly where: string,
  ) {}

  value(key: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.merged, key) ? this.merged[key] : undefined;
  }

  fail(key: string, expected: string): never {
    throw new VedError('INVALID_CONFIG', `${this.where}: field "${key}" is ${JSON.stringify(this.value(key))}, expected ${expected}.`);
  }

  /** None (missing or null) is false, as Python's `if do_x:`; a number counts by its truthiness (0 is false). */
  flag(key: string): boolean {
    const v = this.value(key);
    if (v === undefined || v === null) return false;
    if (typeof v === 'number' && Number.isFinite(v)) return v !== 0;
    if (typeof v !== 'boolean') this.fail(key, 'true, false or null (or a number, read by its truthiness)');
    return v;
  }

  number(key: string): number | null {
    const v = this.value(key);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a finite number');
    return v;
  }

  numberOrList(key: string): number | number[] | null {
    const v = this.value(key);
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return [...(v as number[])];
    this.fail(key, 'a number or a non-empty list of numbers');
  }

  size(key: string, defaultToSquare: boolean): SizeDict | null {
    const v = this.value(key);
    if (v === undefined || v === null) return null;
    return parseSizeDict(v, defaultToSquare, `${this.where} "${key}"`);
  }

  /**
   * An integer is a PIL filter (booleans are Python ints); any other value
   * (a string such as "bicubic", a fractional number) is replaced by BILINEAR,
   * as `PilBackend.resize` does with a resample that is not an int.
   */
  resample(key: string): PilResampleFilter | null {
    const raw = this.value(key);
    if (raw === undefined || raw === null) return null;
    const v = typeof raw === 'boolean' ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v)) return PilResample.BILINEAR;
    if (!isPilResampleFilter(v)) this.fail(key, 'a PIL resampling filter: 0 (nearest), 1 (lanczos), 2 (bilinear), 3 (bicubic), 4 (box) or 5 (hamming)');
    return v;
  }
}

/**
 * Reads a parsed `preprocessor_config.json` object. Throws `INVALID_CONFIG`
 * for an unknown processor class or a field of the wrong type.
 */
export function parseImageProcessorConfig(json: unknown, options: ParseImageProcessorConfigOptions = {}): ImageProcessorConfig {
  const where = options.source ?? 'preprocessor_config.json';
  const raw = asObject(json, where);
  const type = resolveType(raw, where, options);
  const definition = getImageProcessorDefinition(type)!;
  const nougat = definition.pipeline === 'nougat';
  const donut = definition.pipeline === 'donut' || nougat;
  // DonutImageProcessor.__init__ reads a list `size` as [width, height] (the old hub files say [1920, 2560]).
  const own = definition.pipeline === 'donut' && Array.isArray(raw.size) ? { ...raw, size: [...(raw.size as unknown[])].reverse() } : raw;
  const r = new FieldReader({ ...BASE_DEFAULTS, ...definition.defaults, ...own }, where);

  // An explicit null is None, which get_size_dict treats as false.
  const defaultToSquare = r.flag('default_to_square');
  return {
    imageProcessorType: type,
    doConvertRgb: r.flag('do_convert_rgb'),
    doResize: r.flag('do_resize'),
    size: r.size('size', defaultToSquare),
    defaultToSquare,
    resample: r.resample('resample'),
    doCenterCrop: r.flag('do_center_crop'),
    // get_size_dict(crop_size) uses its own default_to_square=True.
    cropSize: r.size('crop_size', true),
    doRescale: r.flag('do_rescale'),
    rescaleFactor: r.number('rescale_factor'),
    doNormalize: r.flag('do_normalize'),
    imageMean: r.numberOrList('image_mean'),
    imageStd: r.numberOrList('image_std'),
    ...(donut ? { donut: { doAlignLongAxis: r.flag('do_align_long_axis'), doThumbnail: r.flag('do_thumbnail'), doPad: r.flag('do_pad') } } : {}),
    ...(nougat ? { nougat: { doCropMargin: r.flag('do_crop_margin') } } : {}),
  };
}
