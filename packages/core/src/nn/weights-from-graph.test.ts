import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import type { BuildContext } from './context.js';
import { layerNorm, linear } from './layers.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { defaultInit, dryStepIO, isDryBuild, weightsFromGraph } from './weights-from-graph.js';

/** A toy model: `embed`, then per layer norm → linear, then an optional head (read only when the checkpoint lacks a tied one). */
function build(ctx: BuildContext, layers = 2): void {
  let x = ctx.g.op('Gather', [ctx.weight('embed.weight', [10, 4]), 'ids']);
  for (let i = 0; i < layers; i++) {
    const l = ctx.at(`layer.${i}`);
    x = linear(l, layerNorm(l, x, 'norm', 4, 1e-5), 'proj', 4, 4);
  }
  if (!ctx.has('head.weight')) ctx.weight('embed.weight', [10, 4]);
  ctx.g.op('Mul', [x, ctx.weight('scale', [4])]);
}

const names = (specs: Array<{ name: string }>) => specs.map((s) => s.name);

describe('weightsFromGraph', () => {
  it('lists each weight the graph reads once, with its shape, in first-use order and weight before bias', () => {
    const specs = weightsFromGraph((ctx) => build(ctx), { std: 0.02, init: (n) => (n === 'scale' ? { kind: 'ones' } : undefined) });
    expect(names(specs)).toEqual([
      'embed.weight',
      'layer.0.norm.weight',
      'layer.0.norm.bias',
      'layer.0.proj.weight', // `linear` reads the bias first
      'layer.0.proj.bias',
      'layer.1.norm.weight',
      'layer.1.norm.bias',
      'layer.1.proj.weight',
      'layer.1.proj.bias',
      'scale',
    ]);
    expect(specs.find((s) => s.name === 'layer.0.proj.weight')).toEqual({ name: 'layer.0.proj.weight', shape: [4, 4], init: { kind: 'normal', std: 0.02 } });
    expect(specs.find((s) => s.name === 'layer.0.norm.weight')!.init).toEqual({ kind: 'ones' });
    expect(specs.find((s) => s.name === 'layer.0.norm.bias')!.init).toEqual({ kind: 'zeros' });
  });

  it('puts listed parts first in the listed order, numbers in numeric order, and unread tensors by the same rules', () => {
    const specs = weightsFromGraph((ctx) => build(ctx, 11), {
      std: 0.02,
      init: (n) => (n === 'scale' ? { kind: 'ones' } : undefined),
      order: ['scale', 'proj', 'norm'],
      unread: [{ name: 'pooler.dense.weight', shape: [3, 4] }, { name: 'layer.10.extra.bias', shape: [2] }],
    });
    expect(names(specs).slice(0, 2)).toEqual(['scale', 'embed.weight']);
    expect(names(specs).filter((n) => n.startsWith('layer.1')).slice(0, 4)).toEqual(['layer.1.proj.weight', 'layer.1.proj.bias', 'layer.1.norm.weight', 'layer.1.norm.bias']);
    expect(names(specs).filter((n) => n.endsWith('proj.weight')).map((n) => n.split('.')[1])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(names(specs).slice(-2)).toEqual(['layer.10.extra.bias', 'pooler.dense.weight']);
  });

  it('fails on a parameter without a rule and on one weight read with two shapes', () => {
    expect(() => weightsFromGraph((ctx) => build(ctx), { std: 0.02 })).toThrow(VedError);
    expect(() => weightsFromGraph((ctx) => build(ctx), { std: 0.02 })).toThrow(/"scale" \(shape \[4\]\) has no init rule/);
    const twice = (ctx: BuildContext) => {
      ctx.weight('w.weight', [2, 3]);
      ctx.read('w.weight', [3, 2]);
    };
    expect(() => weightsFromGraph(twice, { std: 1 })).toThrow(/"w\.weight" is read with shape \[3, 2\] and with \[2, 3\]/);
  });

  it('records weights read as data (ctx.read) too, and gives decoders step inputs per layer', () => {
    expect(weightsFromGraph((ctx) => void ctx.read('table.weight', [5, 2]), { std: 1 })).toEqual([{ name: 'table.weight', shape: [5, 2], init: { kind: 'normal', std: 1 } }]);
    const io = dryStepIO(3);
    expect(io.pastKeys).toHaveLength(3);
    expect(new Set([...io.pastKeys, ...io.pastValues, ...io.crossKeys, ...io.crossValues]).size).toBe(12);
  });

  it('marks its graph as a dry build, so architectures can skip constants that are not weights', () => {
    let dry: boolean | undefined;
    weightsFromGraph((ctx) => void (dry = isDryBuild(ctx.g)), { std: 1 });
    expect(dry).toBe(true);
    expect(isDryBuild(new GraphBuilder('real'))).toBe(false);
  });

  it('defaultInit follows PreTrainedModel._init_weights: biases 0, norm weights 1, matrices N(0, std), others undecided', () => {
    expect(defaultInit(0.1, 'a.bias', [3])).toEqual({ kind: 'zeros' });
    expect(defaultInit(0.1, 'a.weight', [3])).toEqual({ kind: 'ones' });
    expect(defaultInit(0.1, 'a.weight', [3, 2, 1, 1])).toEqual({ kind: 'normal', std: 0.1 });
    expect(defaultInit(0.1, 'cls_token', [1, 1, 3])).toBeUndefined();
  });
});
