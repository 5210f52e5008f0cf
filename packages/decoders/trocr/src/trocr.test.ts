import { describe, expect, it } from 'vitest';
import { trocrDecoder } from './trocr.js';
import { sinusoidalFrequencies } from './sinusoidal.js';

const tiny = { vocab_size: 10, d_model: 8, decoder_layers: 1, decoder_attention_heads: 2, decoder_ffn_dim: 12, max_position_embeddings: 16 };

describe('trocr decoder', () => {
  it('sinusoidal frequencies: row 2 of the d_model=24 table starts 0.9093, 0.7616, 0.3661 (TrOCRSinusoidalPositionalEmbedding.get_embedding)', () => {
    const f = sinusoidalFrequencies(24);
    expect(f).toHaveLength(12);
    expect([0, 1, 2].map((i) => Math.sin(2 * f[i]!))).toEqual([expect.closeTo(0.9093, 4), expect.closeTo(0.7616, 4), expect.closeTo(0.3661, 4)]);
  });

  it('projects cross-attention keys/values from cross_attention_hidden_size', () => {
    const c = trocrDecoder.parseConfig({ ...tiny, cross_attention_hidden_size: 20 }, 'x');
    expect(trocrDecoder.crossAttentionInputSize?.(c)).toBe(20);
    expect(trocrDecoder.weights(c).find((w) => w.name === 'model.decoder.layers.0.encoder_attn.k_proj.weight')!.shape).toEqual([8, 20]);
    expect(trocrDecoder.crossAttentionInputSize?.(trocrDecoder.parseConfig(tiny, 'x'))).toBeUndefined();
  });

  it('stores no table for sinusoidal positions and no layernorm_embedding when disabled', () => {
    const names = trocrDecoder
      .weights(trocrDecoder.parseConfig({ ...tiny, use_learned_position_embeddings: false, layernorm_embedding: false }, 'x'))
      .map((w) => w.name);
    expect(names.filter((n) => n.includes('embed_positions') || n.includes('layernorm_embedding'))).toEqual([]);
    expect(trocrDecoder.weights(trocrDecoder.parseConfig(tiny, 'x')).find((w) => w.name === 'model.decoder.embed_positions.weight')!.shape).toEqual([18, 8]);
  });

  it('lists the weights of a config too large to load without computing its sinusoidal table', () => {
    // d_model 999999998 would make a table of 5e8 frequencies; the size check needs only the shapes.
    const c = trocrDecoder.parseConfig({ ...tiny, d_model: 999999998, use_learned_position_embeddings: false }, 'x');
    expect(trocrDecoder.weights(c).find((w) => w.name === 'model.decoder.layers.0.fc1.weight')!.shape).toEqual([12, 999999998]);
  });
});
