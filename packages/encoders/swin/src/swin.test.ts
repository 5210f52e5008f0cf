import { describe, expect, it } from 'vitest';
import { BuildContext, GraphBuilder, SeededRandom, VedError, WeightBinder, initializeWeights } from '@ved/core';
import { stageLayout } from './config.js';
import { donutSwinEncoder, relativePositionIndex, shiftRegions, swinEncoder } from './swin.js';

const tiny = { model_type: 'swin', image_size: [17, 25], patch_size: 2, embed_dim: 4, depths: [2, 2, 2], num_heads: [2, 2, 4], window_size: 3 };

describe('swin config and layout', () => {
  it('takes Python defaults; hidden size is embed_dim * 2**(stages-1)', () => {
    const c = swinEncoder.parseConfig({ model_type: 'swin' }, 'cfg');
    expect(c).toMatchObject({ imageSize: [224, 224], patchSize: [4, 4], embedDim: 96, depths: [2, 2, 6, 2], windowSize: 7, layerNormEps: 1e-5 });
    expect(swinEncoder.hiddenSize(c)).toBe(768);
  });

  it('lays out stages: padded patch grid, halving with ceil, no shift once the grid is no larger than the window', () => {
    const stages = stageLayout(swinEncoder.parseConfig(tiny, 'cfg'));
    expect(stages.map((s) => [s.height, s.width, s.dim, s.shifts, s.downsample])).toEqual([
      [9, 13, 4, [0, 1], true],
      [5, 7, 8, [0, 1], true],
      [3, 4, 16, [0, 0], false],
    ]);
  });

  it('fails on fields it cannot honour, naming them', () => {
    expect(() => swinEncoder.parseConfig({ ...tiny, hidden_act: 'prelu' }, 'cfg')).toThrow(/cfg: field "hidden_act" is "prelu"/);
    expect(() => swinEncoder.parseConfig({ ...tiny, num_heads: [2, 2] }, 'cfg')).toThrow(/field "num_heads" is \[2,2\]; expected one positive head count per stage/);
    expect(() => swinEncoder.parseConfig({ ...tiny, num_heads: [3, 2, 4] }, 'cfg')).toThrow(/stage 0 has width 4 .* "num_heads"\[0\] = 3 does not divide/);
    // transformers 5.18 keeps the full window's bias table when the window shrinks, and fails.
    expect(() => swinEncoder.parseConfig({ ...tiny, window_size: 4 }, 'cfg')).toThrow(/stage 2 has a 3x4 patch grid, smaller than "window_size" 4/);
    expect(() => swinEncoder.parseConfig({ ...tiny, use_absolute_embeddings: true }, 'cfg')).toThrow(/field "use_absolute_embeddings" is true but "image_size" \[17, 25\] is not a multiple/);
    expect(() => donutSwinEncoder.parseConfig({ ...tiny, image_size: 18, use_absolute_embeddings: true }, 'cfg')).toThrow(/field "use_absolute_embeddings" is true, which transformers' DonutSwin cannot run/);
    expect(swinEncoder.parseConfig({ ...tiny, image_size: [18, 26], use_absolute_embeddings: true }, 'cfg').useAbsoluteEmbeddings).toBe(true);
  });

  it('lists Swin weights with a final layer norm, DonutSwin without', () => {
    const c = swinEncoder.parseConfig(tiny, 'cfg');
    const swin = swinEncoder.weights(c).map((w) => w.name);
    const donut = donutSwinEncoder.weights(donutSwinEncoder.parseConfig(tiny, 'cfg')).map((w) => w.name);
    expect(swin).toContain('layernorm.weight');
    expect(donut).not.toContain('layernorm.weight');
    expect(swin.filter((n) => !n.startsWith('layernorm.'))).toEqual(donut);
    expect(swin).toContain('encoder.layers.1.downsample.reduction.weight');
    expect(swin).not.toContain('encoder.layers.1.downsample.reduction.bias');
    expect(swin).not.toContain('encoder.layers.2.downsample.norm.weight');
  });

  it('refuses interpolatePosEncoding: the graph is built for image_size', () => {
    const c = swinEncoder.parseConfig(tiny, 'cfg');
    const weights = new WeightBinder(initializeWeights(swinEncoder.weights(c), '', new SeededRandom(1)));
    const g = new GraphBuilder('t');
    const pixels = g.input('pixel_values', 'float32', ['batch', 3, 17, 25]);
    expect(() => swinEncoder.buildGraph(new BuildContext(g, weights, ''), c, pixels, { interpolatePosEncoding: true })).toThrow(VedError);
    expect(typeof swinEncoder.buildGraph(new BuildContext(g, weights, ''), c, pixels, {})).toBe('string');
  });
});

describe('window helpers', () => {
  it('relative position index matches transformers for a 2x2 window', () => {
    // torch: SwinRelativePositionBias((2, 2))._create_relative_position_index()
    expect(relativePositionIndex(2)).toEqual([4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4]);
  });

  it('shift regions follow get_attn_mask: [0, L-ws), [L-ws, L-s), [L-s, L) per axis', () => {
    // 4x4 grid, window 2, shift 1: rows/cols 0-1 region 0, 2 region 1, 3 region 2.
    const r = shiftRegions(4, 4, 2, 1);
    expect(r.slice(0, 4)).toEqual([0, 0, 0, 0]); // window (0, 0)
    expect(r.slice(4, 8)).toEqual([1, 2, 1, 2]); // window (0, 1): cols 2, 3
    expect(r.slice(12, 16)).toEqual([4, 5, 7, 8]); // window (1, 1)
  });
});
