/**
 * Every activation of `ACTIVATIONS` against transformers' `ACT2FN` (torch 2.13, float32):
 * values and gradients on 320 inputs, kinks and clip bounds included, recorded by
 * tools/reference/make_activation_fixtures.py. The forward graph is what the architectures build
 * (`activation()`), the gradient what the autodiff derives from it for training; both run on
 * onnxruntime-node and on onnxruntime-web's WebAssembly build (its Node build: the kernels the
 * browser runs).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { addGradients } from '../autodiff/backward.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { parseSafetensors } from '../safetensors/index.js';
import { ACTIVATIONS, activation } from './layers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const FILE = `${ROOT}fixtures/activations/activations.safetensors`;
const tensors = parseSafetensors(readFileSync(FILE), FILE);
const x = tensors.getFloat32('x');
const r = tensors.getFloat32('r');

/** Largest |got - want| / (1e-5 + 1e-5 |want|). */
function worst(got: Float32Array, want: Float32Array): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i]! - want[i]!) / (1e-5 + 1e-5 * Math.abs(want[i]!)));
  return w;
}

describe("activations match transformers' ACT2FN", () => {
  it('the fixture holds every activation ved supports', () => {
    expect(ACTIVATIONS.filter((name) => !tensors.names().includes(`${name}.y`))).toEqual([]);
  });

  const runtimes = [['onnxruntime-node', ortNode], ['onnxruntime-web', ortWeb]] as const;
  for (const [runtime, ort] of runtimes) {
    for (const name of ACTIVATIONS) {
      it(`${name} on ${runtime}: values and gradients within 1e-5`, async () => {
        const g = new GraphBuilder('activation');
        const input = g.input('x', 'float32', [x.length]);
        const y = activation(g, input, name);
        // `linear` is the input itself: an Identity gives the graph an output of its own.
        g.output('y', g.op('Identity', [y]), 'float32', [x.length]);
        const dy = g.input('dy', 'float32', [x.length]);
        g.output('dx', g.op('Identity', [addGradients(g, y, ['x'], { seed: dy }).get('x') ?? dy]), 'float32', [x.length]);
        const session = await ort.InferenceSession.create(g.build().model);
        const out = await session.run({ x: new ort.Tensor('float32', x, [x.length]), dy: new ort.Tensor('float32', r, [x.length]) });
        await session.release();
        expect(worst(out.y!.data as Float32Array, tensors.getFloat32(`${name}.y`)), `${name} values`).toBeLessThanOrEqual(1);
        expect(worst(out.dx!.data as Float32Array, tensors.getFloat32(`${name}.dx`)), `${name} gradients`).toBeLessThanOrEqual(1);
      });
    }
  }
});
