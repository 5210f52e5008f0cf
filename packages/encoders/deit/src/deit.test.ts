import { describe, expect, it } from 'vitest';
import { BuildContext, GraphBuilder, SeededRandom, WeightBinder, initializeWeights, VedError } from '@ved/core';
import { deitEncoder } from './deit.js';

const tiny = { model_type: 'deit', image_size: [16, 24], patch_size: 4, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 8 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof VedError ? e.code : String(e);
  }
  return undefined;
}

describe('deit config', () => {
  it('takes Python defaults', () => {
    const c = deitEncoder.parseConfig({ model_type: 'deit' }, 'config.json "encoder"');
    expect(c).toMatchObject({ hiddenSize: 768, imageSize: [224, 224], patchSize: [16, 16], layerNormEps: 1e-12, qkvBias: true, poolerOutputSize: 768 });
    expect(deitEncoder.hiddenSize(c)).toBe(768);
  });

  it('fails on fields it cannot honour, naming them', () => {
    expect(() => deitEncoder.parseConfig({ ...tiny, hidden_act: 'swiglu' }, 'cfg')).toThrow(/cfg: field "hidden_act" is "swiglu"; supported: gelu/);
    expect(() => deitEncoder.parseConfig({ ...tiny, num_attention_heads: 3 }, 'cfg')).toThrow(/"hidden_size" \(8\) must be a multiple of "num_attention_heads" \(3\)/);
    expect(() => deitEncoder.parseConfig({ ...tiny, image_size: 2 }, 'cfg')).toThrow(/"image_size" \[2, 2\] is smaller than "patch_size"/);
    expect(codeOf(() => deitEncoder.parseConfig({ ...tiny, qkv_bias: 'yes' }, 'cfg'))).toBe('INVALID_CONFIG');
  });

  it('lists N+2 position embeddings, the distillation token and the pooler', () => {
    const names = new Map(deitEncoder.weights(deitEncoder.parseConfig(tiny, 'cfg')).map((w) => [w.name, w]));
    expect(names.get('embeddings.position_embeddings')?.shape).toEqual([1, 4 * 6 + 2, 8]);
    expect(names.get('embeddings.distillation_token')?.init).toEqual({ kind: 'zeros' });
    expect(names.get('pooler.dense.weight')?.shape).toEqual([8, 8]);
  });

  it('refuses interpolate_pos_encoding when the position embeddings are not a square number, as Python fails', () => {
    const c = deitEncoder.parseConfig(tiny, 'cfg');
    const weights = new WeightBinder(initializeWeights(deitEncoder.weights(c), 'encoder.', new SeededRandom(0)));
    const g = new GraphBuilder('t');
    const pixels = g.input('pixel_values', 'float32', ['batch', 3, 'h', 'w']);
    const build = (interpolatePosEncoding: boolean) => deitEncoder.buildGraph(new BuildContext(g, weights, '').at('encoder'), c, pixels, { interpolatePosEncoding });
    expect(() => build(true)).toThrow(/interpolatePosEncoding views the position embeddings as a square grid.*give 4x6 = 24 positions, not a square number/);
    expect(codeOf(() => build(true))).toBe('INVALID_OPTION');
    expect(typeof build(false)).toBe('string');
  });
});
