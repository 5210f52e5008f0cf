/** The weight-spec comparisons on hand-made lists: each kind of disagreement is named. */
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors, type WeightSpec } from '@ved/core';
import { compareDecoderWeights, compareWeightSpecs } from './weight-specs.js';
import type { PythonInitEntry } from './fixture.js';

const python: Record<string, PythonInitEntry> = {
  'embeddings.cls_token': { shape: [1, 1, 8], kind: 'random', std: 0.02 },
  'encoder.layer.0.output.dense.weight': { shape: [8, 16], kind: 'random', std: 0.02 },
  'encoder.layer.0.output.dense.bias': { shape: [8], kind: 'zeros' },
  'layernorm.weight': { shape: [8], kind: 'ones' },
  'encoder.layer.0.lambda_1': { shape: [8], kind: 'constant', value: 0.1 },
  'encoder.relative_position_index': { shape: [9, 9], dtype: 'int64', kind: 'random', std: 3 },
};
const ours = (): WeightSpec[] => [
  { name: 'embeddings.cls_token', shape: [1, 1, 8], init: { kind: 'truncNormal', std: 0.02 } },
  { name: 'encoder.layer.0.output.dense.weight', shape: [8, 16], init: { kind: 'normal', std: 0.02 } },
  { name: 'encoder.layer.0.output.dense.bias', shape: [8], init: { kind: 'zeros' } },
  { name: 'layernorm.weight', shape: [8], init: { kind: 'constant', value: 1 } },
  { name: 'encoder.layer.0.lambda_1', shape: [8], init: { kind: 'constant', value: 0.1 } },
];

describe('compareWeightSpecs (encoder vs Python init report)', () => {
  it('agrees with a matching list; non-float buffers are not weights', () => {
    expect(compareWeightSpecs(ours(), python)).toEqual([]);
  });

  it('names missing, extra, reshaped and wrongly initialised weights', () => {
    const specs = ours();
    specs.splice(0, 1); // cls_token missing
    specs.push({ name: 'pooler.dense.weight', shape: [8, 8], init: { kind: 'normal', std: 0.02 } });
    specs[0] = { ...specs[0]!, shape: [16, 8] };
    specs[1] = { ...specs[1]!, init: { kind: 'ones' } };
    specs[3] = { ...specs[3]!, init: { kind: 'constant', value: 0.5 } };
    expect(compareWeightSpecs(specs, python)).toEqual([
      'missing embeddings.cls_token [1, 1, 8]',
      'encoder.layer.0.output.dense.weight: shape [16, 8], Python [8, 16]',
      'encoder.layer.0.output.dense.bias: init ones, Python zeros',
      'encoder.layer.0.lambda_1: init constant 0.5, Python constant 0.1',
      'extra pooler.dense.weight (not in the Python checkpoint)',
    ]);
  });

  it('checks the std of random tensors of 64+ values within 35%', () => {
    const specs = ours();
    specs[1] = { ...specs[1]!, init: { kind: 'normal', std: 0.05 } };
    expect(compareWeightSpecs(specs, python)).toEqual(['encoder.layer.0.output.dense.weight: std 0.05, Python measured 0.02']);
  });
});

/** A checkpoint with a normal(0.02) [32, 8] embedding whose row 1 is zero (a padding row), and a zero bias. */
function checkpoint() {
  let s = 7;
  const normal = () => {
    s = (s * 48271) % 2147483647;
    const u = s / 2147483647;
    s = (s * 48271) % 2147483647;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * (s / 2147483647));
  };
  const table = Float32Array.from({ length: 32 * 8 }, () => 0.02 * normal());
  table.fill(0, 8, 16);
  const bytes = serializeSafetensors([
    { name: 'decoder.embed.weight', dtype: 'F32', shape: [32, 8], data: table },
    { name: 'decoder.out.bias', dtype: 'F32', shape: [8], data: new Float32Array(8) },
    { name: 'encoder.x', dtype: 'F32', shape: [2], data: new Float32Array(2) },
  ]);
  return parseSafetensors(bytes, 'model.safetensors');
}

describe('compareDecoderWeights (decoder vs the checkpoint)', () => {
  const zeroRow1 = (data: Float32Array, width = 8) => {
    data.fill(0, width, 2 * width);
  };

  it("agrees when names, shapes and init rules explain the checkpoint's values", () => {
    const specs: WeightSpec[] = [
      { name: 'embed.weight', shape: [32, 8], init: { kind: 'custom', fill: (d, rng) => (d.forEach((_, i) => (d[i] = 0.02 * rng.normal())), zeroRow1(d)) } },
      { name: 'out.bias', shape: [8], init: { kind: 'zeros' } },
    ];
    expect(compareDecoderWeights(specs, checkpoint())).toEqual([]);
  });

  it('names missing and extra tensors, shapes, values and zeroed rows that differ', () => {
    const specs: WeightSpec[] = [
      { name: 'embed.weight', shape: [32, 8], init: { kind: 'normal', std: 0.02 } },
      { name: 'out.bias', shape: [8], init: { kind: 'ones' } },
      { name: 'lm_head.weight', shape: [32, 8], init: { kind: 'normal', std: 0.02 } },
    ];
    expect(compareDecoderWeights(specs, checkpoint())).toEqual([
      'embed.weight: Python zeroed rows 1',
      'out.bias: init ones, Python has other values',
      'extra lm_head.weight (not in the Python checkpoint)',
    ]);
    expect(compareDecoderWeights([], checkpoint())).toEqual(['missing embed.weight [32, 8]', 'missing out.bias [8]']);
  });
});
