/**
 * TF → PyTorch names against transformers 4.57's own `convert_tf_weight_name_to_pt_weight_name`
 * (fixtures/formats/tf_name_cases.json, from tools/reference/make_checkpoint_format_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { permute } from '../converted-tensors.js';
import { convertTfWeightName, tfToPytorchName, transposeAxes } from './tf-weight-names.js';

const cases = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../../fixtures/formats/tf_name_cases.json', import.meta.url)), 'utf8')) as Array<{
  tf_name: string;
  start_prefix_to_remove: string;
  shape: number[];
  pt_name: string;
  transpose: string;
}>;

describe('convertTfWeightName', () => {
  it.each(cases.map((c) => [c.tf_name, c] as const))('%s as transformers 4.57 converts it', (_, c) => {
    expect(convertTfWeightName(c.tf_name, c.start_prefix_to_remove, c.shape)).toEqual({ name: c.pt_name, transpose: c.transpose });
  });

  it('refuses names with more than ten ___ separators, as Python does', () => {
    expect(() => convertTfWeightName(`m/${'a___'.repeat(11)}b/kernel:0`, '', [2, 2])).toThrow(/too many ___/);
  });
});

describe('tfToPytorchName: a composed TFVisionEncoderDecoderModel', () => {
  it('drops the encoder main layer (its model_type) and keeps the decoder head prefix', () => {
    expect(tfToPytorchName('tf_vision_encoder_decoder_model/encoder/vit/embeddings/patch_embeddings/projection/kernel:0', [4, 4, 3, 12], 'vit')).toEqual({
      name: 'encoder.embeddings.patch_embeddings.projection.weight',
      transpose: 'conv2d',
    });
    expect(tfToPytorchName('tf_vision_encoder_decoder_model/decoder/transformer/h_._1/attn/c_attn/weight:0', [8, 24], 'vit')).toEqual({
      name: 'decoder.transformer.h.1.attn.c_attn.weight',
      transpose: 'no',
    });
    expect(tfToPytorchName('tf_vision_encoder_decoder_model/decoder/mlm___cls/predictions/bias:0', [40], 'swin').name).toBe('decoder.cls.predictions.bias');
    expect(tfToPytorchName('tf_vision_encoder_decoder_model/enc_to_dec_proj/kernel:0', [12, 8], 'vit')).toEqual({ name: 'enc_to_dec_proj.weight', transpose: 'simple' });
  });
});

describe('layouts', () => {
  it('HWIO conv kernels become OIHW, kernels are transposed', () => {
    // A [1, 2, 3, 4] HWIO kernel with values equal to their flat index.
    const hwio = Float32Array.from({ length: 24 }, (_, i) => i);
    const oihw = permute(hwio, [1, 2, 3, 4], transposeAxes('conv2d', 4)!);
    // OIHW[o][i][h][w] = HWIO[h][w][i][o] = ((h*2 + w)*3 + i)*4 + o
    expect(oihw[0 * 6 + 0 * 2 + 0 * 2 + 1]).toBe(((0 * 2 + 1) * 3 + 0) * 4 + 0);
    expect(oihw[3 * 6 + 2 * 2 + 1]).toBe(((0 * 2 + 1) * 3 + 2) * 4 + 3);
    expect(Array.from(permute(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], transposeAxes('simple', 2)!))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
