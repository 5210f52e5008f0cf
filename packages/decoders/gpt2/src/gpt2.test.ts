/**
 * Unit tests of the GPT-2 decoder plugin: the config with Python's defaults and its errors, the weight
 * list of `GPT2LMHeadModel` (cross-attention only when the config adds it, `lm_head` only when untied),
 * the cache layout and the other contract answers, and registration. Its outputs against Python are
 * the ViT + GPT-2 golden tests in backend-node (golden/vit-gpt2.golden.test.ts) and every encoder's
 * golden test, which pairs the encoder with GPT-2.
 */
import { describe, expect, it } from 'vitest';
import { getDecoder } from '@ved/core';
import { errorOf } from '@ved/testing';
import { gpt2Decoder, parseGPT2Config } from './index.js';

const tiny = { model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 2, n_positions: 10, vocab_size: 20 };

describe('GPT-2 config', () => {
  it("takes the defaults of transformers' GPT2Config", () => {
    expect(parseGPT2Config({ model_type: 'gpt2' }, 'config.json "decoder"')).toEqual({
      vocabSize: 50257,
      nPositions: 1024,
      nEmbd: 768,
      nLayer: 12,
      nHead: 12,
      nInner: 3072,
      activationFunction: 'gelu_new',
      layerNormEpsilon: 1e-5,
      initializerRange: 0.02,
      scaleAttnWeights: true,
      scaleAttnByInverseLayerIdx: false,
      addCrossAttention: false,
      tieWordEmbeddings: true,
      embdPdrop: 0.1,
      attnPdrop: 0.1,
      residPdrop: 0.1,
    });
  });

  it('n_inner defaults to 4 * n_embd', () => {
    expect(gpt2Decoder.parseConfig(tiny, 'cfg').nInner).toBe(32);
    expect(gpt2Decoder.parseConfig({ ...tiny, n_inner: 12 }, 'cfg').nInner).toBe(12);
  });

  it('refuses what the graph cannot honour with INVALID_CONFIG naming the field', () => {
    expect(errorOf(() => gpt2Decoder.parseConfig({ ...tiny, n_head: 3 }, 'cfg'))).toBe('INVALID_CONFIG: cfg: "n_embd" (8) must be a multiple of "n_head" (3).');
    expect(errorOf(() => gpt2Decoder.parseConfig({ ...tiny, vocab_size: 'many' }, 'cfg'))).toMatch(/^INVALID_CONFIG: .*vocab_size/);
    expect(errorOf(() => gpt2Decoder.parseConfig({ ...tiny, attn_pdrop: 1.5 }, 'cfg'))).toMatch(/^INVALID_CONFIG: .*attn_pdrop/);
  });
});

describe('GPT-2 weights()', () => {
  const names = (raw: Record<string, unknown>) => gpt2Decoder.weights(gpt2Decoder.parseConfig(raw, 'cfg')).map((s) => s.name);

  it("lists GPT2LMHeadModel's tensors under transformer.*, 12 per layer, tied head not listed", () => {
    const list = names(tiny);
    expect(list.length).toBe(2 + 12 * 2 + 2);
    expect(new Set(list).size).toBe(list.length);
    expect(list.filter((n) => n.includes('crossattention') || n.includes('ln_cross_attn'))).toEqual([]);
    expect(list).not.toContain('lm_head.weight');
  });

  it('adds cross-attention (8 per layer) with add_cross_attention, and lm_head when untied', () => {
    const list = names({ ...tiny, add_cross_attention: true, tie_word_embeddings: false });
    expect(list.length).toBe(2 + 20 * 2 + 2 + 1);
    expect(list).toContain('transformer.h.1.crossattention.q_attn.weight');
    expect(list).toContain('transformer.h.1.ln_cross_attn.bias');
    expect(list[list.length - 1]).toBe('lm_head.weight');
  });

  it("with Conv1D shapes [in, out] and the init rules of GPT2PreTrainedModel._init_weights", () => {
    const specs = new Map(gpt2Decoder.weights(gpt2Decoder.parseConfig({ ...tiny, add_cross_attention: true }, 'cfg')).map((s) => [s.name, s]));
    expect(specs.get('transformer.wte.weight')).toMatchObject({ shape: [20, 8], init: { kind: 'normal', std: 0.02 } });
    expect(specs.get('transformer.wpe.weight')?.shape).toEqual([10, 8]);
    expect(specs.get('transformer.h.0.attn.c_attn.weight')?.shape).toEqual([8, 24]);
    expect(specs.get('transformer.h.0.crossattention.c_attn.weight')?.shape).toEqual([8, 16]);
    expect(specs.get('transformer.h.0.mlp.c_fc.weight')?.shape).toEqual([8, 32]);
    expect(specs.get('transformer.h.0.ln_1.weight')?.init).toEqual({ kind: 'ones' });
    expect(specs.get('transformer.h.0.mlp.c_fc.bias')?.init).toEqual({ kind: 'zeros' });
  });
});

describe('GPT-2 contract and registration', () => {
  it('answers vocabulary, positions and cache layout from the config', () => {
    const c = gpt2Decoder.parseConfig(tiny, 'cfg');
    expect([gpt2Decoder.hiddenSize(c), gpt2Decoder.vocabSize(c), gpt2Decoder.maxPositions?.(c)]).toEqual([8, 20, 10]);
    expect(gpt2Decoder.cacheLayout(c)).toEqual({ layers: 2, heads: 2, headDim: 4 });
    expect(gpt2Decoder.basePrefix).toBe('transformer.');
  });

  it('importing the package registers it for model_type "gpt2"', async () => {
    expect(await getDecoder('gpt2')).toBe(gpt2Decoder);
  });
});
