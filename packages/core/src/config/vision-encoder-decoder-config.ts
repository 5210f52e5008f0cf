/**
 * `VisionEncoderDecoderConfig`: the top-level `config.json` of a composed
 * model. Unknown fields are kept verbatim so the file can be written back.
 * Reference: transformers `models/vision_encoder_decoder/configuration_vision_encoder_decoder.py`
 * (`VisionEncoderDecoderConfig`, `from_encoder_decoder_configs`).
 */
import { VedError } from '../errors.js';
import { ConfigReader, isRecord, type RawConfig } from './config-reader.js';

export class VisionEncoderDecoderConfig {
  /** The whole `config.json` object, unknown fields included. */
  readonly raw: RawConfig;
  /** Where each side's config was read from, when not from this file (composing two checkpoints). */
  private sources: { encoder?: string; decoder?: string } = {};

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

  /**
   * Python's `from_encoder_decoder_configs`: the decoder config gets
   * `is_decoder` and `add_cross_attention` set to true (also on configs that do
   * not declare them, such as GPT-2's); `extra` fields go to the top level.
   */
  static fromEncoderDecoderConfigs(
    encoder: RawConfig,
    decoder: RawConfig,
    extra: RawConfig = {},
    sources: { encoder?: string; decoder?: string } = {},
  ): VisionEncoderDecoderConfig {
    for (const [side, sub] of [['encoder', encoder], ['decoder', decoder]] as const) {
      if (!isRecord(sub) || typeof sub.model_type !== 'string') {
        throw new VedError('INVALID_CONFIG', `The ${side} config must be an object with a "model_type".`);
      }
    }
    if (encoder.model_type === 'vision-encoder-decoder' || decoder.model_type === 'vision-encoder-decoder') {
      throw new VedError('INVALID_CONFIG', 'fromEncoderDecoderConfigs takes an encoder config and a decoder config, not a composed "vision-encoder-decoder" config.');
    }
    const config = new VisionEncoderDecoderConfig({
      ...extra,
      model_type: 'vision-encoder-decoder',
      is_encoder_decoder: true,
      tie_word_embeddings: false,
      encoder: { ...encoder },
      decoder: { ...decoder, is_decoder: true, add_cross_attention: true },
    });
    config.sources = { ...sources };
    return config;
  }

  /** How errors name a side's config: the file it came from (`enc/config.json`), else `config.json "encoder"`. */
  sideWhere(side: 'encoder' | 'decoder'): string {
    return this.sources[side] ?? `${this.fileName} "${side}"`;
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
