import { describe, expect, it } from 'vitest';
import { BuildContext, GraphBuilder, SeededRandom, VedError, WeightBinder, type TensorSource } from '@ved/core';
import { bertDecoder } from './bert.js';

const tiny = { model_type: 'bert', vocab_size: 10, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 16 };
const names = (raw: Record<string, unknown>) => bertDecoder.weights(bertDecoder.parseConfig(raw, 'test')).map((w) => w.name);

describe('bert decoder', () => {
  it('reads BertConfig with Python defaults', () => {
    const c = bertDecoder.parseConfig({ model_type: 'bert' }, 'config.json "decoder"');
    expect(c).toMatchObject({ vocabSize: 30522, hiddenSize: 768, layerNormEps: 1e-12, padTokenId: 0, hiddenAct: 'gelu', isDecoder: false, tieWordEmbeddings: true });
    expect(bertDecoder.parseConfig({ ...tiny, pad_token_id: null }, 'x').padTokenId).toBeUndefined();
  });

  it('rejects a hidden size that heads do not divide, naming the file and fields', () => {
    expect(() => bertDecoder.parseConfig({ ...tiny, num_attention_heads: 3 }, 'config.json "decoder"')).toThrow(/config\.json "decoder".*"hidden_size" \(8\).*"num_attention_heads" \(3\)/);
  });

  it('lists cross-attention weights only with add_cross_attention, the decoder head only when untied', () => {
    expect(names(tiny).some((n) => n.includes('crossattention'))).toBe(false);
    const withCross = names({ ...tiny, is_decoder: true, add_cross_attention: true });
    expect(withCross.filter((n) => n.includes('.crossattention.'))).toHaveLength(2 * 10);
    expect(withCross).not.toContain('cls.predictions.decoder.weight');
    expect(names({ ...tiny, tie_word_embeddings: false })).toEqual(expect.arrayContaining(['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias', 'cls.predictions.bias']));
  });

  it('initialises word_embeddings with the padding row zeroed', () => {
    const spec = bertDecoder.weights(bertDecoder.parseConfig({ ...tiny, pad_token_id: 3 }, 'x')).find((w) => w.name === 'bert.embeddings.word_embeddings.weight')!;
    expect(spec.init.kind).toBe('custom');
    const data = new Float32Array(10 * 8);
    if (spec.init.kind === 'custom') spec.init.fill(data, new SeededRandom(1));
    expect([...data.subarray(24, 32)].every((x) => x === 0)).toBe(true);
    expect([...data.subarray(16, 24)].some((x) => x !== 0)).toBe(true);
  });

  it('refuses to build without is_decoder / add_cross_attention', () => {
    const empty: TensorSource = { names: () => [], has: () => false } as unknown as TensorSource;
    const ctx = new BuildContext(new GraphBuilder('t'), new WeightBinder(empty), '');
    const c = bertDecoder.parseConfig(tiny, 'x');
    expect(() => bertDecoder.buildCrossKeyValues(ctx, c, 'h')).toThrow(VedError);
    expect(() => bertDecoder.buildCrossKeyValues(ctx, c, 'h')).toThrow(/"is_decoder": false, "add_cross_attention": false/);
  });
});
