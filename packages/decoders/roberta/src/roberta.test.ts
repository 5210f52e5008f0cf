import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@ved/core';
import { robertaDecoder, xlmRobertaDecoder } from './roberta.js';

const tiny = { vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 16, is_decoder: true, add_cross_attention: true };

describe('roberta / xlm-roberta decoders', () => {
  it('differ only in the vocab_size default, as their Python configs', () => {
    expect(robertaDecoder.parseConfig({}, 'x')).toMatchObject({ vocabSize: 50265, padTokenId: 1, layerNormEps: 1e-12 });
    expect(xlmRobertaDecoder.parseConfig({}, 'x')).toMatchObject({ vocabSize: 30522, padTokenId: 1 });
    expect(robertaDecoder.modelType).toBe('roberta');
    expect(xlmRobertaDecoder.modelType).toBe('xlm-roberta');
  });

  it('rejects a pad_token_id outside the position table', () => {
    expect(() => robertaDecoder.parseConfig({ ...tiny, pad_token_id: 16 }, 'config.json "decoder"')).toThrow(/"pad_token_id" \(16\).*"max_position_embeddings" \(16\)/);
  });

  it('zeroes the padding row of both the word and the position embeddings', () => {
    const specs = robertaDecoder.weights(robertaDecoder.parseConfig(tiny, 'x'));
    for (const name of ['roberta.embeddings.word_embeddings.weight', 'roberta.embeddings.position_embeddings.weight']) {
      const spec = specs.find((w) => w.name === name)!;
      const data = new Float32Array(spec.shape[0]! * 8);
      if (spec.init.kind !== 'custom') throw new Error(`${name}: ${spec.init.kind}`);
      spec.init.fill(data, new SeededRandom(7));
      expect([...data.subarray(8, 16)].every((x) => x === 0)).toBe(true);
    }
    expect(specs.map((w) => w.name)).toEqual(expect.arrayContaining(['lm_head.dense.weight', 'lm_head.layer_norm.weight', 'lm_head.bias']));
    expect(specs.map((w) => w.name)).not.toContain('lm_head.decoder.weight');
  });
});
