import { describe, expect, it } from 'vitest';
import {
  cacheBytesPerRow,
  crossKvParams,
  decoderStepFlops,
  decoderStepParams,
  encoderFloor,
  encoderFlops,
  encoderParams,
  generateFloor,
  modelShape,
} from './work.js';

// The fields the bench's config.json files hold (as save_pretrained writes them).
const vitGpt2 = modelShape({
  encoder: { model_type: 'vit', image_size: 224, patch_size: 16, num_channels: 3, hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072 },
  decoder: { model_type: 'gpt2', n_embd: 768, n_layer: 12, n_inner: null, vocab_size: 50257 },
});
const deitTrocr = modelShape({
  encoder: { model_type: 'deit', image_size: 384, patch_size: 16, num_channels: 3, hidden_size: 384, num_hidden_layers: 12, intermediate_size: 1536 },
  decoder: { model_type: 'trocr', d_model: 256, decoder_layers: 6, decoder_ffn_dim: 1024, vocab_size: 64044, cross_attention_hidden_size: 384 },
});

describe('modelShape', () => {
  it('reads ViT + GPT-2 (n_inner null: 4 × n_embd)', () => {
    expect(vitGpt2.encoder).toMatchObject({ patches: 196, tokens: 197, hidden: 768, layers: 12, intermediate: 3072, patchInputs: 768 });
    expect(vitGpt2.decoder).toMatchObject({ hidden: 768, layers: 12, ffn: 3072, vocab: 50257, crossInput: 768, projection: 0 });
  });

  it('reads DeiT (class + distillation tokens) + TrOCR (cross-attention from the encoder width)', () => {
    expect(deitTrocr.encoder).toMatchObject({ patches: 576, tokens: 578, hidden: 384 });
    expect(deitTrocr.decoder).toMatchObject({ hidden: 256, layers: 6, ffn: 1024, vocab: 64044, crossInput: 384, projection: 0 });
  });

  it('adds enc_to_dec_proj when widths differ and the decoder does not take the encoder width', () => {
    const m = modelShape({
      encoder: { model_type: 'vit', image_size: 32, patch_size: 8, hidden_size: 36, num_hidden_layers: 1 },
      decoder: { model_type: 'gpt2', n_embd: 48, n_layer: 1, vocab_size: 10 },
    });
    expect(m.decoder).toMatchObject({ projection: 36, crossInput: 48 });
    expect(crossKvParams(m)).toBe(36 * 48 + 2 * 48 * 48);
  });

  it('names a missing field', () => {
    expect(() => modelShape({ encoder: { model_type: 'vit' }, decoder: { model_type: 'gpt2', n_embd: 8 } })).toThrow(/hidden_size/);
  });
});

describe('work', () => {
  it('ViT-B/16 at 224 is the published 17.6 G multiply-adds', () => {
    expect(encoderFlops(vitGpt2).encoder / 2 / 1e9).toBeCloseTo(17.56, 1);
    expect(encoderParams(vitGpt2)).toBe(768 * 768 + 12 * (4 * 768 * 768 + 2 * 768 * 3072));
  });

  it('a GPT-2 step reads its blocks, the cross-attention query/output and the LM head', () => {
    expect(decoderStepParams(vitGpt2)).toBe(12 * (4 * 768 ** 2 + 2 * 768 ** 2 + 2 * 768 * 3072) + 768 * 50257);
    // attention over 5 earlier tokens and 197 image tokens
    expect(decoderStepFlops(vitGpt2, 5)).toBe(2 * (decoderStepParams(vitGpt2) + 12 * 2 * (5 + 197) * 768));
    expect(cacheBytesPerRow(vitGpt2, 5)).toBe(12 * 2 * (5 + 197) * 768 * 4);
  });

  it('a batch-1 fp32 step is bound by memory, and a batch-8 step reads the weights once', () => {
    const rates = { gflops: 200, gbps: 16 };
    const one = generateFloor(vitGpt2, rates, { images: 1, rows: 1, newTokens: 20 });
    const eight = generateFloor(vitGpt2, rates, { images: 8, rows: 8, newTokens: 20 });
    const enc = encoderFloor(vitGpt2, rates, true);
    const stepWeightsMs = (decoderStepParams(vitGpt2) * 4) / 16e6;
    expect(one.memoryMs - enc.memoryMs).toBeGreaterThan(20 * stepWeightsMs);
    expect(one.floorMs).toBeCloseTo(enc.floorMs + (one.memoryMs - enc.memoryMs), 6);
    // weights dominate: eight rows' caches add well under half of the weight traffic
    expect(eight.memoryMs - enc.memoryMs).toBeLessThan(1.5 * (one.memoryMs - enc.memoryMs));
    expect(eight.computeMs).toBeGreaterThan(7.9 * one.computeMs);
  });

  it('q8 and q4 weights lower the memory floor', () => {
    const rates = { gflops: 200, gbps: 16 };
    const f = (dtype: string) => generateFloor(vitGpt2, rates, { images: 1, rows: 1, newTokens: 20, dtype }).memoryMs;
    expect(f('q8')).toBeLessThan(f('fp32') / 3);
    expect(f('q4')).toBeLessThan(f('q8'));
  });

  it('the encoder is compute-bound; ved\'s also computes the cross keys/values', () => {
    const rates = { gflops: 200, gbps: 16 };
    const plain = encoderFloor(vitGpt2, rates, false);
    expect(plain.floorMs).toBe(plain.computeMs);
    expect(plain.computeMs).toBeCloseTo((2 * 17.56e9) / 200e6, -1);
    expect(encoderFloor(vitGpt2, rates, true).computeMs).toBeGreaterThan(plain.computeMs);
  });
});
