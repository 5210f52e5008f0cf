/** Flax → PyTorch names and layouts, as transformers 4.x's `load_flax_weights_in_pytorch_model` renames them. */
import { describe, expect, it } from 'vitest';
import { flaxToPytorchName } from './flax-msgpack.js';

describe('flaxToPytorchName', () => {
  it.each([
    [['encoder', 'embeddings', 'patch_embeddings', 'projection', 'kernel'], 4, false, 'encoder.embeddings.patch_embeddings.projection.weight', [3, 2, 0, 1]],
    [['decoder', 'transformer', 'h', '0', 'attn', 'c_attn', 'kernel'], 2, false, 'decoder.transformer.h.0.attn.c_attn.weight', [1, 0]],
    [['decoder', 'transformer', 'h', '0', 'ln_1', 'scale'], 1, false, 'decoder.transformer.h.0.ln_1.weight', undefined],
    [['decoder', 'transformer', 'h', '0', 'ln_1', 'bias'], 1, false, 'decoder.transformer.h.0.ln_1.bias', undefined],
    [['decoder', 'transformer', 'wte', 'embedding'], 2, false, 'decoder.transformer.wte.weight', undefined],
    [['encoder', 'embeddings', 'cls_token'], 3, false, 'encoder.embeddings.cls_token', undefined],
    [['batch_stats', 'bn', 'mean'], 1, true, 'bn.running_mean', undefined],
    [['batch_stats', 'bn', 'var'], 1, true, 'bn.running_var', undefined],
    [['params', 'dense', 'kernel'], 3, true, 'dense.weight', [2, 1, 0]],
  ] as const)('%j', (path, rank, batchStats, name, axes) => {
    const out = flaxToPytorchName(path, rank, batchStats);
    expect(out.name).toBe(name);
    expect(out.axes).toEqual(axes);
  });
});
