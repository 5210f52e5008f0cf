/** Image processing: decoded images → `pixel_values`, bit-exact with transformers' PIL backend. */
export { type RawImage, convertToRgb, assertRawImage, pilMode } from './raw-image.js';
export { PilResample, RESAMPLE_NAMES, isPilResampleFilter, type PilResampleFilter } from './resample.js';
export { pilResize } from './pil-resize.js';
export { decodeGif, isGif } from './gif-decode.js';
export { decodeBmp, isBmp } from './bmp-decode.js';
export { centerCrop } from './center-crop.js';
export { alignLongAxis, thumbnailSize, padCentered } from './donut.js';
export { type SizeDict, VALID_SIZE_KEY_SETS, parseSizeDict, resizeOutputSize } from './size.js';
export {
  type ImageProcessorConfig,
  type DonutOptions,
  type ParseImageProcessorConfigOptions,
  parseImageProcessorConfig,
  registerImageProcessor,
  knownImageProcessorTypes,
  loadImageProcessorClass,
} from './image-processor-config.js';
export { ImageProcessor, type PixelValues } from './image-processor.js';
export {
  DEFAULT_MAX_IMAGE_PIXELS,
  PIL_MAX_IMAGE_PIXELS,
  checkImagePixels,
  checkMaxImagePixels,
  crc32,
  isJpeg,
  isPng,
  isWebp,
  readJpegHeader,
  readPngHeader,
  readWebpHeader,
  withPngDataCrcsFixed,
  type ImageLimitOptions,
  type JpegHeader,
  type PngHeader,
  type WebpHeader,
} from './image-header.js';
