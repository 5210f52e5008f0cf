import { describe, expect, it } from 'vitest';
import { VedError } from '@ved/core';
import { dinov2Encoder, mlpHiddenSize, parseDinov2Config } from './index.js';

const tiny = { model_type: 'dinov2', image_size: 16, patch_size: 4, hidden_size: 16, num_attention_heads: 2, num_hidden_layers: 1, mlp_ratio: 3 };
const names = (raw: Record<string, unknown>) => dinov2Encoder.weights(parseDinov2Config(raw, 'test')).map((w) => w.name);

describe('dinov2 encoder', () => {
  it('reads Dinov2Config with the Python defaults', () => {
    expect(parseDinov2Config({ model_type: 'dinov2' }, 'config.json "encoder"')).toMatchObject({
      hiddenSize: 768,
      mlpRatio: 4,
      layerNormEps: 1e-6,
      imageSize: [224, 224],
      patchSize: [14, 14],
      layerscaleValue: 1,
      useSwigluFfn: false,
      useMaskToken: true,
      qkvBias: true,
    });
  });

  it('sizes the MLP as Dinov2MLP and Dinov2SwiGLUFFN do', () => {
    expect(mlpHiddenSize({ hiddenSize: 16, mlpRatio: 3, useSwigluFfn: false })).toBe(48);
    // int(48 * 2 / 3) = 32, rounded up to a multiple of 8.
    expect(mlpHiddenSize({ hiddenSize: 16, mlpRatio: 3, useSwigluFfn: true })).toBe(32);
    // giant: hidden 1536, mlp_ratio 4 → int(6144 * 2 / 3) = 4096.
    expect(mlpHiddenSize({ hiddenSize: 1536, mlpRatio: 4, useSwigluFfn: true })).toBe(4096);
    expect(mlpHiddenSize({ hiddenSize: 12, mlpRatio: 2.5, useSwigluFfn: true })).toBe(24);
  });

  it('lists the SwiGLU weights as the checkpoint keeps them (weights_in holds gate and up)', () => {
    const swiglu = dinov2Encoder.weights(parseDinov2Config({ ...tiny, use_swiglu_ffn: true }, 'test'));
    expect(swiglu.find((w) => w.name === 'encoder.layer.0.mlp.weights_in.weight')?.shape).toEqual([64, 16]);
    expect(swiglu.find((w) => w.name === 'encoder.layer.0.mlp.weights_out.weight')?.shape).toEqual([16, 32]);
    expect(names(tiny)).toContain('encoder.layer.0.mlp.fc1.weight');
    expect(names({ ...tiny, use_mask_token: false })).not.toContain('embeddings.mask_token');
    expect(names(tiny)).toContain('embeddings.mask_token');
  });

  it('fails with INVALID_CONFIG naming the fields', () => {
    expect(() => parseDinov2Config({ ...tiny, num_attention_heads: 3 }, 'config.json "encoder"')).toThrow(/config\.json "encoder".*"hidden_size" \(16\).*"num_attention_heads" \(3\)/);
    expect(() => parseDinov2Config({ ...tiny, mlp_ratio: 0 }, 'x')).toThrow(VedError);
    // A non-square position grid: Dinov2Embeddings.interpolate_pos_encoding cannot reshape it either.
    expect(() => names({ ...tiny, image_size: [16, 24] })).toThrow(/4x6 grid of position embeddings/);
  });
});
