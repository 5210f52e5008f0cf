/**
 * Regression test of every built-in architecture's weight list (`weights(config)`):
 * names in order, shapes and init rules, for configs that exercise each option
 * (Swin/DonutSwin, BEiT's position biases, BART/mBART, tied and untied heads,
 * cross-attention, `enc_to_dec_proj`). The order matters: seeded
 * initialisation draws in it and sharded saves split in it. The lists were
 * compared line by line with the hand-written ones before they were derived
 * from the graph builds (commit fe717d6 holds them in full); the snapshot keeps
 * a digest per case: print `summarize(...)` of a case to see its lines.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SeededRandom, VisionEncoderDecoderConfig, compose, modelWeightSpecs, type WeightSpec } from '@ved/core';
import { beitEncoder } from '@ved/encoder-beit';
import { deitEncoder } from '@ved/encoder-deit';
import { donutSwinEncoder, swinEncoder } from '@ved/encoder-swin';
import { vitEncoder } from '@ved/encoder-vit';
import { bartDecoder, mbartDecoder } from '@ved/decoder-bart';
import { bertDecoder } from '@ved/decoder-bert';
import { gpt2Decoder } from '@ved/decoder-gpt2';
import { robertaDecoder, xlmRobertaDecoder } from '@ved/decoder-roberta';
import { trocrDecoder } from '@ved/decoder-trocr';
import './register-builtins.js';

/** One line per weight; a custom init is summarised by the digest of what it draws from a fixed seed. */
function summarize(specs: readonly WeightSpec[]): string[] {
  return specs.map(({ name, shape, init }) => {
    let rule: string;
    if (init.kind === 'custom') {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      init.fill(data, new SeededRandom(11));
      rule = `custom:${createHash('sha256').update(new Uint8Array(data.buffer)).digest('hex').slice(0, 16)}`;
    } else {
      rule = JSON.stringify(init);
    }
    return `${name} [${shape.join(', ')}] ${rule}`;
  });
}

const vit = { hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 12, image_size: 16, patch_size: 4 };
const beit = { ...vit, image_size: 16, patch_size: 4, vocab_size: 32 };
const swin = { image_size: 32, patch_size: 4, embed_dim: 8, depths: [2, 1], num_heads: [2, 2], window_size: 3 };
const gpt2 = { vocab_size: 10, n_embd: 8, n_layer: 2, n_head: 2, n_positions: 16 };
const bert = { vocab_size: 10, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 16 };
const bart = { vocab_size: 10, d_model: 8, decoder_layers: 2, decoder_attention_heads: 2, decoder_ffn_dim: 12, max_position_embeddings: 16 };
const cross = { is_decoder: true, add_cross_attention: true };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPlugin = { parseConfig(raw: any, where: string): unknown; weights(c: any): WeightSpec[] };
const CASES: Array<[string, AnyPlugin, Record<string, unknown>]> = [
  ['vit', vitEncoder, vit],
  ['vit no qkv bias, non-square', vitEncoder, { ...vit, qkv_bias: false, image_size: [16, 24], patch_size: [4, 8], pooler_output_size: 6, initializer_range: 0.05 }],
  ['deit', deitEncoder, vit],
  ['deit no qkv bias', deitEncoder, { ...vit, qkv_bias: false, image_size: [12, 16] }],
  ['beit defaults', beitEncoder, beit],
  ['beit relative bias', beitEncoder, { ...beit, use_relative_position_bias: true }],
  ['beit shared bias, absolute, mask token, no mean pooling', beitEncoder, { ...beit, use_shared_relative_position_bias: true, use_absolute_position_embeddings: true, use_mask_token: true, use_mean_pooling: false }],
  ['beit no layer scale, non-square', beitEncoder, { ...beit, layer_scale_init_value: 0, use_relative_position_bias: true, image_size: [16, 24] }],
  ['swin', swinEncoder, swin],
  ['swin absolute, no qkv bias, odd sizes', swinEncoder, { ...swin, image_size: [48, 60], use_absolute_embeddings: true, qkv_bias: false, depths: [1, 2, 1], num_heads: [2, 2, 4] }],
  ['donut-swin', donutSwinEncoder, swin],
  ['donut-swin mlp_ratio, no qkv bias', donutSwinEncoder, { ...swin, qkv_bias: false, mlp_ratio: 3, image_size: [36, 28] }],
  ['gpt2', gpt2Decoder, gpt2],
  ['gpt2 cross, untied, n_inner', gpt2Decoder, { ...gpt2, add_cross_attention: true, tie_word_embeddings: false, n_inner: 20 }],
  ['bert', bertDecoder, bert],
  ['bert cross', bertDecoder, { ...bert, ...cross, pad_token_id: 3 }],
  ['bert cross, untied, no pad', bertDecoder, { ...bert, ...cross, tie_word_embeddings: false, pad_token_id: null }],
  ['roberta cross', robertaDecoder, { ...bert, ...cross }],
  ['roberta untied', robertaDecoder, { ...bert, ...cross, tie_word_embeddings: false, pad_token_id: 2 }],
  ['xlm-roberta', xlmRobertaDecoder, { ...bert, ...cross }],
  ['bart', bartDecoder, bart],
  ['bart untied, no pad, init_std', bartDecoder, { ...bart, tie_word_embeddings: false, pad_token_id: null, init_std: 0.03 }],
  ['mbart', mbartDecoder, bart],
  ['mbart untied', mbartDecoder, { ...bart, tie_word_embeddings: false }],
  ['trocr', trocrDecoder, bart],
  ['trocr sinusoidal, no layernorm_embedding, cross width', trocrDecoder, { ...bart, use_learned_position_embeddings: false, layernorm_embedding: false, cross_attention_hidden_size: 20 }],
  ['trocr untied', trocrDecoder, { ...bart, tie_word_embeddings: false }],
];

const COMPOSED: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['vit + bert (enc_to_dec_proj)', { model_type: 'vit', ...vit, hidden_size: 12, intermediate_size: 16 }, { model_type: 'bert', ...bert }],
  ['donut-swin + mbart', { model_type: 'donut-swin', ...swin }, { model_type: 'mbart', ...bart, d_model: 16 }],
  ['beit + trocr', { model_type: 'beit', ...beit, use_relative_position_bias: true }, { model_type: 'trocr', ...bart, cross_attention_hidden_size: 8 }],
  ['deit + gpt2', { model_type: 'deit', ...vit }, { model_type: 'gpt2', ...gpt2 }],
];

describe('weight lists of the built-in architectures', () => {
  it('stay as they were (names in order, shapes, init rules)', async () => {
    const out: Record<string, string> = {};
    const digest = (lines: string[]) => `${lines.length} weights, sha256 ${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32)}`;
    for (const [name, plugin, raw] of CASES) out[name] = digest(summarize(plugin.weights(plugin.parseConfig(raw, name))));
    for (const [name, encoder, decoder] of COMPOSED) {
      out[`composed: ${name}`] = digest(summarize(modelWeightSpecs(await compose(VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(encoder, decoder)))));
    }
    await expect(JSON.stringify(out, null, 1) + '\n').toMatchFileSnapshot('./__snapshots__/weight-lists.json');
  });
});
