/**
 * The parts of a composed model: the two plugins with their parsed configs, and
 * the rules that join them (transformers `VisionEncoderDecoderModel.__init__`
 * in `models/vision_encoder_decoder/modeling_vision_encoder_decoder.py`): the
 * decoder must cross-attend, `cross_attention_hidden_size` must equal the
 * encoder width, and `enc_to_dec_proj` exists iff the widths differ and the
 * decoder does not project keys/values from the encoder width itself.
 */
import { VedError } from '../errors.js';
import type { DecoderPlugin, EncoderPlugin } from '../contracts.js';
import type { VisionEncoderDecoderConfig } from '../config/vision-encoder-decoder-config.js';
import { getDecoder, getEncoder } from '../registry/registry.js';

export interface Composition {
  config: VisionEncoderDecoderConfig;
  encoder: EncoderPlugin<unknown>;
  encoderConfig: unknown;
  decoder: DecoderPlugin<unknown>;
  decoderConfig: unknown;
  encoderHidden: number;
  decoderHidden: number;
  /** `enc_to_dec_proj` is part of the model. */
  hasProjection: boolean;
}

export async function compose(config: VisionEncoderDecoderConfig): Promise<Composition> {
  const encoder = await getEncoder(config.encoderType);
  const decoder = await getDecoder(config.decoderType);
  const encoderConfig = encoder.parseConfig(config.encoder, config.sideWhere('encoder'));
  const decoderConfig = decoder.parseConfig(config.decoder, config.sideWhere('decoder'));
  const encoderHidden = encoder.hiddenSize(encoderConfig);
  const decoderHidden = decoder.hiddenSize(decoderConfig);
  const crossSize = decoder.crossAttentionInputSize?.(decoderConfig);
  if (crossSize !== undefined && crossSize !== encoderHidden) {
    throw new VedError(
      'INVALID_CONFIG',
      `${config.fileName}: decoder "cross_attention_hidden_size" is ${crossSize} but the encoder's hidden size is ${encoderHidden}; they must be equal.`,
    );
  }
  const dec = config.decoder;
  if (dec.add_cross_attention === false || dec.is_decoder === false) {
    throw new VedError(
      'INVALID_CONFIG',
      `${config.fileName}: the decoder config has "is_decoder"/"add_cross_attention" false, so it cannot attend to the image; set both to true.`,
    );
  }
  return {
    config,
    encoder,
    encoderConfig,
    decoder,
    decoderConfig,
    encoderHidden,
    decoderHidden,
    hasProjection: encoderHidden !== decoderHidden && crossSize === undefined,
  };
}
