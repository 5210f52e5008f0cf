import { describe, expect, it } from 'vitest';
import { BuildContext, GraphBuilder, VedError, WeightBinder, type TensorSource } from '@ved/core';
import { electraDecoder, parseElectraConfig } from './index.js';

const tiny = { model_type: 'electra', vocab_size: 10, embedding_size: 4, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 16, is_decoder: true, add_cross_attention: true };
const names = (raw: Record<string, unknown>) => electraDecoder.weights(parseElectraConfig(raw, 'test')).map((w) => w.name);

describe('electra decoder', () => {
  it('reads ElectraConfig with the Python defaults', () => {
    expect(parseElectraConfig({ model_type: 'electra' }, 'x')).toMatchObject({
      vocabSize: 30522,
      embeddingSize: 128,
      hiddenSize: 256,
      numAttentionHeads: 4,
      intermediateSize: 1024,
      padTokenId: 0,
      isDecoder: false,
      tieWordEmbeddings: true,
    });
    expect(parseElectraConfig({ ...tiny, pad_token_id: null }, 'x').padTokenId).toBeUndefined();
  });

  it('has embeddings_project only when embedding_size differs from hidden_size', () => {
    expect(names(tiny)).toContain('electra.embeddings_project.weight');
    expect(names({ ...tiny, embedding_size: 8 })).not.toContain('electra.embeddings_project.weight');
  });

  it('saves the generator head bias always, its weight only when untied', () => {
    expect(names(tiny)).toContain('generator_lm_head.bias');
    expect(names(tiny)).not.toContain('generator_lm_head.weight');
    const untied = electraDecoder.weights(parseElectraConfig({ ...tiny, tie_word_embeddings: false }, 'x'));
    expect(untied.find((w) => w.name === 'generator_lm_head.weight')?.shape).toEqual([10, 4]);
    expect(electraDecoder.tiedWeights?.(parseElectraConfig(tiny, 'x'))).toEqual({ 'generator_lm_head.weight': 'electra.embeddings.word_embeddings.weight' });
  });

  it('fails with INVALID_CONFIG naming the fields', () => {
    expect(() => parseElectraConfig({ ...tiny, num_attention_heads: 3 }, 'config.json "decoder"')).toThrow(/config\.json "decoder".*"hidden_size" \(8\).*"num_attention_heads" \(3\)/);
    expect(() => parseElectraConfig({ ...tiny, pad_token_id: 10 }, 'x')).toThrow(/"pad_token_id" \(10\) must be below "vocab_size" \(10\)/);
  });

  it('refuses to build without is_decoder / add_cross_attention', () => {
    const empty = { names: () => [], has: () => false } as unknown as TensorSource;
    const ctx = new BuildContext(new GraphBuilder('t'), new WeightBinder(empty), '');
    const c = parseElectraConfig({ ...tiny, add_cross_attention: false }, 'x');
    expect(() => electraDecoder.buildCrossKeyValues(ctx, c, 'h')).toThrow(VedError);
    expect(() => electraDecoder.buildCrossKeyValues(ctx, c, 'h')).toThrow(/"is_decoder": true, "add_cross_attention": false/);
  });
});
