/**
 * `VisionEncoderDecoderConfig`: the top-level `config.json` of a composed
 * model. Unknown fields are kept verbatim so the file can be written back.
 * Reference: transformers `configuration_vision_encoder_decoder.py` (spec §1).
 */
import { VedError } from '../errors.js';
import { ConfigReader, isRecord, type RawConfig } from './config-reader.js';

export class VisionEncoderDecoderConfig {
  /** The whole `config.json` object, unknown fields included. */
  readonly raw: RawConfig;

  constructor(raw: RawConfig, readonly fileName = 'config.json') {
    if (raw.model_type !== 'vision-encoder-decoder') {
      throw new VedError(
        'INVALID_CONFIG',
        `${fileName}: "model_type" is ${JSON.stringify(raw.model_type)}, expected "vision-encoder-decoder".`,
      );
    }
    for (const side of ['encoder', 'decoder'] as const) {
      const sub = raw[side];
      if (!isRecord(sub)) {
        throw new VedError('INVALID_CONFIG', `${fileName}: "${side}" must be an object holding the ${side} config.`);
      }
      if (typeof sub.model_type !== 'string') {
        throw new VedError('INVALID_CONFIG', `${fileName}: "${side}.model_type" is missing; every sub-config needs one.`);
      }
    }
    this.raw = raw;
  }

  get encoder(): RawConfig {
    return this.raw.encoder as RawConfig;
  }

  get decoder(): RawConfig {
    return this.raw.decoder as RawConfig;
  }

  get encoderType(): string {
    return this.encoder.model_type as string;
  }

  get decoderType(): string {
    return this.decoder.model_type as string;
  }

  /** A reader of the top-level fields. */
  get reader(): ConfigReader {
    return new ConfigReader(this.raw, this.fileName);
  }

  toJSON(): RawConfig {
    return this.raw;
  }
}
