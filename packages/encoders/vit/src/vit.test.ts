/**
 * Unit tests of the ViT encoder plugin: the config with Python's defaults and its errors, the weight
 * list (`ViTModel`'s tensors, pooler included, with their init rules), registration, and the graph run
 * on onnxruntime at the config's size and, with interpolatePosEncoding, at other sizes. Its outputs
 * against Python are vit.golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { VisionEncoderDecoderConfig, VisionEncoderDecoderModel, getEncoder, type PixelBatch } from '@ved/core';
import '@ved/decoder-gpt2';
import { errorOf, nodeTestRuntime } from '@ved/testing';
import { parseViTConfig, vitEncoder } from './index.js';

const tiny = { model_type: 'vit', image_size: 16, patch_size: 4, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 12 };

describe('ViT config', () => {
  it("takes the defaults of transformers' ViTConfig", () => {
    const c = parseViTConfig({ model_type: 'vit' }, 'config.json "encoder"');
    expect(c).toEqual({
      hiddenSize: 768,
      numHiddenLayers: 12,
      numAttentionHeads: 12,
      intermediateSize: 3072,
      hiddenAct: 'gelu',
      layerNormEps: 1e-12,
      imageSize: [224, 224],
      patchSize: [16, 16],
      numChannels: 3,
      qkvBias: true,
      initializerRange: 0.02,
      poolerOutputSize: 768,
      hiddenDropoutProb: 0,
      attentionProbsDropoutProb: 0,
    });
    expect([vitEncoder.hiddenSize(c), vitEncoder.imageSize(c), vitEncoder.numChannels(c)]).toEqual([768, [224, 224], 3]);
  });

  it('reads [height, width] image and patch sizes', () => {
    const c = vitEncoder.parseConfig({ ...tiny, image_size: [16, 24], patch_size: [4, 8] }, 'cfg');
    expect([c.imageSize, c.patchSize]).toEqual([
      [16, 24],
      [4, 8],
    ]);
  });

  it('refuses what the graph cannot honour with INVALID_CONFIG naming the field', () => {
    expect(errorOf(() => vitEncoder.parseConfig({ ...tiny, num_attention_heads: 3 }, 'cfg'))).toBe(
      'INVALID_CONFIG: cfg: "hidden_size" (8) must be a multiple of "num_attention_heads" (3).',
    );
    expect(errorOf(() => vitEncoder.parseConfig({ ...tiny, qkv_bias: 'yes' }, 'cfg'))).toMatch(/^INVALID_CONFIG: .*qkv_bias/);
    expect(errorOf(() => vitEncoder.parseConfig({ ...tiny, hidden_size: 0 }, 'cfg'))).toMatch(/^INVALID_CONFIG: .*hidden_size/);
  });
});

describe('ViT weights()', () => {
  const specs = () => vitEncoder.weights(vitEncoder.parseConfig(tiny, 'cfg'));

  it("lists ViTModel's tensors under their checkpoint names, the pooler included", () => {
    const names = specs().map((s) => s.name);
    expect(names.length).toBe(4 + 16 * 1 + 2 + 2);
    expect(new Set(names).size).toBe(names.length);
    for (const name of ['embeddings.cls_token', 'encoder.layer.0.attention.attention.query.weight', 'layernorm.bias', 'pooler.dense.weight']) {
      expect(names).toContain(name);
    }
  });

  it('with shapes from the config and the init rules of ViTPreTrainedModel._init_weights', () => {
    const byName = new Map(specs().map((s) => [s.name, s]));
    expect(byName.get('embeddings.position_embeddings')).toMatchObject({ shape: [1, 4 * 4 + 1, 8], init: { kind: 'truncNormal', std: 0.02 } });
    expect(byName.get('embeddings.patch_embeddings.projection.weight')?.shape).toEqual([8, 3, 4, 4]);
    expect(byName.get('encoder.layer.0.intermediate.dense.weight')).toMatchObject({ shape: [12, 8], init: { kind: 'normal', std: 0.02 } });
    expect(byName.get('encoder.layer.0.layernorm_before.weight')?.init).toEqual({ kind: 'ones' });
    expect(byName.get('encoder.layer.0.output.dense.bias')?.init).toEqual({ kind: 'zeros' });
  });
});

describe('ViT registration and graph', () => {
  it('importing the package registers it for model_type "vit"', async () => {
    expect(await getEncoder('vit')).toBe(vitEncoder);
  });

  it('runs at the config size and, with interpolatePosEncoding, at other sizes', async () => {
    const decoder = { model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 1, n_positions: 8, vocab_size: 16, add_cross_attention: true, is_decoder: true };
    const config = new VisionEncoderDecoderConfig({ model_type: 'vision-encoder-decoder', encoder: tiny, decoder, decoder_start_token_id: 0, pad_token_id: 0 });
    const model = await VisionEncoderDecoderModel.fromConfig(config, nodeTestRuntime, { seed: 3 });
    const pixels = (h: number, w: number): PixelBatch => ({ data: Float32Array.from({ length: 3 * h * w }, (_, i) => Math.sin(i)), dims: [1, 3, h, w] });
    try {
      expect((await model.encode(pixels(16, 16))).lastHiddenState.dims).toEqual([1, 17, 8]);
      const wide = await model.encode(pixels(20, 12), { interpolatePosEncoding: true });
      expect(wide.lastHiddenState.dims).toEqual([1, 1 + 5 * 3, 8]);
      expect(Array.from(wide.lastHiddenState.data as Float32Array).every(Number.isFinite)).toBe(true);
    } finally {
      await model.dispose();
    }
  });
});
