import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '@ved/core';
import { readOnnxOpTypes } from './onnx-ops.js';

describe('readOnnxOpTypes', () => {
  it('counts the main graph op types, with the domain of contrib ops, past large initializers', () => {
    const g = new GraphBuilder('ops');
    const x = g.input('x', 'float32', [2, 64]);
    const w = g.initializer('w', 'float32', [64, 64], new Float32Array(64 * 64).fill(0.5));
    const y = g.op('Gelu', [g.op('Add', [g.op('MatMul', [x, w]), g.op('MatMul', [x, w])])], {}, { domain: 'com.microsoft' });
    g.output('y', y, 'float32', [2, 64]);
    const counts = readOnnxOpTypes(g.build().model);
    // GraphBuilder names the output through an Identity node.
    expect(Object.fromEntries(counts)).toEqual({ MatMul: 2, Add: 1, 'com.microsoft:Gelu': 1, Identity: 1 });
  });

  it('reads an empty model as no ops', () => {
    expect(readOnnxOpTypes(new Uint8Array(0)).size).toBe(0);
  });
});
