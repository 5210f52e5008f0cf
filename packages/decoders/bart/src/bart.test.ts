import { describe, expect, it } from 'vitest';
import { bartDecoder, mbartDecoder } from './bart.js';

const tiny = { vocab_size: 10, d_model: 8, decoder_layers: 2, decoder_attention_heads: 2, decoder_ffn_dim: 12, max_position_embeddings: 16 };

describe('bart / mbart decoders', () => {
  it('read BartConfig with Python defaults (hidden_size is an alias of d_model)', () => {
    expect(bartDecoder.parseConfig({}, 'x')).toMatchObject({ dModel: 1024, decoderLayers: 12, scaleEmbedding: false, padTokenId: 1, initStd: 0.02 });
    expect(bartDecoder.parseConfig({ hidden_size: 64, decoder_attention_heads: 4 }, 'x').dModel).toBe(64);
  });

  it('list encoder_attn always, a position table with 2 extra rows, and mBART\'s final layer_norm', () => {
    const bart = bartDecoder.weights(bartDecoder.parseConfig(tiny, 'x'));
    const mbart = mbartDecoder.weights(mbartDecoder.parseConfig(tiny, 'x'));
    expect(bart.find((w) => w.name === 'model.decoder.embed_positions.weight')!.shape).toEqual([18, 8]);
    expect(bart.filter((w) => w.name.includes('.encoder_attn.'))).toHaveLength(2 * 8);
    expect(bart.map((w) => w.name)).not.toContain('model.decoder.layer_norm.weight');
    expect(mbart.map((w) => w.name).filter((n) => !bart.some((w) => w.name === n))).toEqual(['model.decoder.layer_norm.weight', 'model.decoder.layer_norm.bias']);
    expect(bartDecoder.weights(bartDecoder.parseConfig({ ...tiny, tie_word_embeddings: false }, 'x')).map((w) => w.name)).toContain('lm_head.weight');
  });
});
