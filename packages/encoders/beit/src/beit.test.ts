import { describe, expect, it } from 'vitest';
import { VedError } from '@ved/core';
import { beitEncoder } from './beit.js';

const tiny = { model_type: 'beit', image_size: 20, patch_size: 5, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 8 };
const names = (raw: Record<string, unknown>) => beitEncoder.weights(beitEncoder.parseConfig(raw, 'cfg')).map((w) => w.name);

describe('beit config', () => {
  it('takes Python defaults: no absolute positions, no relative bias, layer scale 0.1, mean pooling', () => {
    const c = beitEncoder.parseConfig({ model_type: 'beit' }, 'cfg');
    expect(c).toMatchObject({
      hiddenSize: 768,
      useAbsolutePositionEmbeddings: false,
      useRelativePositionBias: false,
      useSharedRelativePositionBias: false,
      layerScaleInitValue: 0.1,
      useMeanPooling: true,
      layerNormEps: 1e-12,
    });
  });

  it('fails on fields it cannot honour, naming them', () => {
    expect(() => beitEncoder.parseConfig({ ...tiny, hidden_act: 'prelu' }, 'cfg')).toThrow(/cfg: field "hidden_act" is "prelu"/);
    // transformers views the position embeddings of a non-square image as a square grid and fails on 4x6 = 24.
    expect(() => beitEncoder.parseConfig({ ...tiny, image_size: [20, 30], use_absolute_position_embeddings: true }, 'cfg')).toThrow(
      /field "use_absolute_position_embeddings" is true with the non-square "image_size" \[20, 30\]/,
    );
    // ... but 2x8 = 16 = 4x4 works there, and here.
    expect(beitEncoder.parseConfig({ ...tiny, image_size: [10, 40], use_absolute_position_embeddings: true }, 'cfg').imageSize).toEqual([10, 40]);
    expect(() => beitEncoder.parseConfig({ ...tiny, use_mean_pooling: 1 }, 'cfg')).toThrow(VedError);
  });

  it('has no key bias, lambdas only with layer scale, and a final norm only without mean pooling', () => {
    const base = names(tiny);
    expect(base).toContain('encoder.layer.0.attention.attention.query.bias');
    expect(base).not.toContain('encoder.layer.0.attention.attention.key.bias');
    expect(base).toContain('encoder.layer.1.lambda_2');
    expect(base).toContain('pooler.layernorm.weight');
    expect(base).not.toContain('layernorm.weight');
    const other = names({ ...tiny, layer_scale_init_value: 0.0, use_mean_pooling: false });
    expect(other).not.toContain('encoder.layer.0.lambda_1');
    expect(other).toContain('layernorm.weight');
    expect(other).not.toContain('pooler.layernorm.weight');
  });

  it('sizes the relative position bias tables (2Wh-1)(2Ww-1)+3, per layer or shared', () => {
    const specs = beitEncoder.weights(beitEncoder.parseConfig({ ...tiny, image_size: [20, 30], use_relative_position_bias: true, use_shared_relative_position_bias: true }, 'cfg'));
    const tables = specs.filter((w) => w.name.endsWith('relative_position_bias_table'));
    expect(tables.map((w) => w.name)).toEqual([
      'encoder.relative_position_bias.relative_position_bias_table',
      'encoder.layer.0.attention.attention.relative_position_bias.relative_position_bias_table',
      'encoder.layer.1.attention.attention.relative_position_bias.relative_position_bias_table',
    ]);
    expect(tables[0]!.shape).toEqual([7 * 11 + 3, 2]);
    const lambda = specs.find((w) => w.name === 'encoder.layer.0.lambda_1');
    expect(lambda?.init).toEqual({ kind: 'constant', value: 0.1 });
  });
});
