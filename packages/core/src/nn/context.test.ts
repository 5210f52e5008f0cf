import { describe, expect, it } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { InMemoryTensors } from '../weights/in-memory-tensors.js';
import { WeightBinder } from '../weights/weight-binder.js';
import { BuildContext, transpose2d, type TrainingMode } from './context.js';
import { layerNorm, linear, lmHead } from './layers.js';

function setup(trained: (name: string) => boolean) {
  const tensors = new InMemoryTensors();
  tensors.set('m.w', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
  tensors.set('m.ln.weight', [3], Float32Array.from([1, 1, 1]));
  tensors.set('m.ln.bias', [3], new Float32Array(3));
  const g = new GraphBuilder('t');
  const declared: string[] = [];
  const mode: TrainingMode = {
    trainable: trained,
    parameter: (name) => {
      declared.push(name);
      return g.input(name, 'float32', [2, 3]);
    },
  };
  return { g, declared, ctx: new BuildContext(g, new WeightBinder(tensors), 'm.', 'fp32', mode) };
}

describe('BuildContext in training mode', () => {
  it('a trained weight is a graph input under its checkpoint name; a frozen one stays an initializer', () => {
    const { g, ctx, declared } = setup((n) => n === 'm.w');
    expect(ctx.weight('w', [2, 3])).toBe('m.w');
    expect(declared).toEqual(['m.w']);
    expect(g.valueRecord('m.w')).toMatchObject({ type: 'float32', dims: [2, 3] });
    expect(g.hasInitializer('m.w')).toBe(false);
    expect(ctx.weight('ln.weight', [3])).toBe('m.ln.weight');
    expect(g.hasInitializer('m.ln.weight')).toBe(true);
    expect(() => ctx.weight('w', [3, 2])).toThrow(expect.objectContaining({ code: 'WEIGHT_SHAPE_MISMATCH' }));
  });

  it('derived weights: the graph form when trained, a typed error without one; trained weights cannot be read', () => {
    const { g, ctx } = setup(() => true);
    const t = ctx.derived('w', [2, 3], '.T', [3, 2], (w) => transpose2d(w, 2, 3), (gb, w) => gb.op('Transpose', [w], { perm: [1, 0] }));
    expect(g.nodeRecords.at(-1)).toMatchObject({ type: 'Transpose', inputs: ['m.w'], outputs: [t] });
    expect(() => ctx.derived('w', [2, 3], '.T2', [3, 2], (w) => transpose2d(w, 2, 3))).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('"m.w" is transformed when the graph is built') }),
    );
    expect(() => ctx.read('w', [2, 3])).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    const frozen = setup(() => false);
    expect(frozen.ctx.derived('w', [2, 3], '.T', [3, 2], (w) => transpose2d(w, 2, 3))).toBe('m.w.T');
  });

  it('LayerNormalization outputs its statistics in training graphs only', () => {
    const { g, ctx } = setup(() => false);
    layerNorm(ctx, g.input('x', 'float32', [1, 3]), 'ln', 3, 1e-5);
    expect(g.nodeRecords.at(-1)!.outputs).toHaveLength(3);
    const plain = new InMemoryTensors();
    plain.set('ln.weight', [3], new Float32Array(3));
    plain.set('ln.bias', [3], new Float32Array(3));
    layerNorm(new BuildContext(g, new WeightBinder(plain), ''), 'x', 'ln', 3, 1e-5);
    expect(g.nodeRecords.at(-1)!.outputs).toHaveLength(1);
  });
});

describe("a language-model head's weight (BuildLayout.ownHeadWeights)", () => {
  /** A tied table [5, 3] that a lookup and a head both use, read from `model.safetensors` on disk or held in memory. */
  function tied(onDisk: boolean, ownHeadWeights: boolean) {
    const tensors = new InMemoryTensors();
    tensors.set('wte.weight', [5, 3], Float32Array.from({ length: 15 }, (_, i) => i));
    const source = onDisk ? Object.assign(Object.create(tensors) as InMemoryTensors, { external: () => ({ file: '/models/m/model.safetensors', offset: 64, length: 60 }) }) : tensors;
    const g = new GraphBuilder('t');
    const ctx = new BuildContext(g, new WeightBinder(source), '', 'fp32', undefined, { ownHeadWeights });
    const ids = g.input('ids', 'int64', [1, 2]);
    const hidden = g.op('Gather', [ctx.weight('wte.weight', [5, 3]), ids]);
    g.output('logits', lmHead(ctx, hidden, 'wte.weight', 5, 3), 'float32', [1, 2, 5]);
    const model = fromBinary(ModelProtoSchema, g.build().model);
    const location = (name: string) => {
      const init = model.graph!.initializer.find((t) => t.name === name)!;
      return Object.fromEntries(init.externalData.map((e) => [e.key, e.value]));
    };
    return { initializers: model.graph!.initializer.map((t) => t.name), head: g.nodeRecords.find((n) => n.type === 'Gemm')!.inputs[1], location };
  }

  it('runtime graphs give a head read from disk its own initializer at the same place in the file', () => {
    const { initializers, head, location } = tied(true, true);
    expect(head).toBe('wte.weight.lm_head');
    expect(initializers).toEqual(expect.arrayContaining(['wte.weight', 'wte.weight.lm_head']));
    expect(location('wte.weight.lm_head')).toEqual(location('wte.weight'));
    expect(location('wte.weight')).toMatchObject({ offset: '64', length: '60' });
  });

  it('one initializer otherwise: without the layout (exports, training) and for weights held in memory', () => {
    for (const [onDisk, own] of [[true, false], [false, true], [false, false]] as const) {
      const { initializers, head } = tied(onDisk, own);
      expect(head).toBe('wte.weight');
      expect(initializers.filter((n) => n.startsWith('wte.'))).toEqual(['wte.weight']);
    }
  });
});

describe('linear layers as MatMul (BuildLayout.linearAsMatMul)', () => {
  it('multiplies by a transposed copy of the weight and adds the bias; Gemm with transB otherwise', () => {
    const tensors = new InMemoryTensors();
    tensors.set('fc.weight', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    tensors.set('fc.bias', [2], Float32Array.from([0.5, -0.5]));
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 4, 3]);
    linear(new BuildContext(g, new WeightBinder(tensors), '', 'fp32', undefined, { linearAsMatMul: true }), x, 'fc', 3, 2);
    expect(g.nodeRecords.map((n) => n.type)).toEqual(['MatMul', 'Add']);
    expect(g.nodeRecords[0]!.inputs).toEqual(['x', 'fc.weight.T']);
    const t = fromBinary(ModelProtoSchema, g.build().model).graph!.initializer.find((i) => i.name === 'fc.weight.T')!;
    expect(t.dims.map(Number)).toEqual([3, 2]);
    expect([...new Float32Array(t.rawData.slice().buffer)]).toEqual([1, 4, 2, 5, 3, 6]);
    const plain = new GraphBuilder('p');
    linear(new BuildContext(plain, new WeightBinder(tensors), ''), plain.input('x', 'float32', [1, 4, 3]), 'fc', 3, 2);
    expect(plain.nodeRecords.find((n) => n.type === 'Gemm')).toMatchObject({ inputs: [expect.any(String), 'fc.weight', 'fc.bias'], attrs: { transB: 1 } });
  });
});
