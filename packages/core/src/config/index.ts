export { ConfigReader, isRecord } from './config-reader.js';
export type { RawConfig } from './config-reader.js';
export { VisionEncoderDecoderConfig } from './vision-encoder-decoder-config.js';
