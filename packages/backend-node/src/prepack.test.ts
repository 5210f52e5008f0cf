/**
 * `prepackWeights` (LoadOptions): onnxruntime's weight prepacking turned off per graph through its
 * `session.disable_prepacking` config, the same outputs either way, and `ved caption`'s choice for one
 * image (off for the encoder; off for the decoder only when every step has one row). `memoryArena`:
 * onnxruntime's CPU memory arena per graph, off for the decoder by default.
 */
import { describe, expect, it } from 'vitest';
import { VisionEncoderDecoderModel, type InferenceSession, type LoadOptions, type Runtime } from '@ved/core';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { fixturePath, maxAbsDiff } from './test-utils/fixtures.js';
import './register-builtins.js';

const MODEL = fixturePath('models', 'vit-gpt2-a');

/** nodeRuntime, recording the options of every session it opens. */
function recording(overrides: Partial<Runtime> = {}): { runtime: Runtime; seen: Array<InferenceSession.SessionOptions | undefined> } {
  const seen: Array<InferenceSession.SessionOptions | undefined> = [];
  const runtime: Runtime = Object.assign(Object.create(nodeRuntime) as Runtime, overrides);
  runtime.createSession = (model, options, hints) => {
    seen.push(options);
    return nodeRuntime.createSession(model, options, hints);
  };
  return { runtime, seen };
}

const disabled = (o: InferenceSession.SessionOptions | undefined) =>
  ((o?.extra as { session?: Record<string, string> } | undefined)?.session?.disable_prepacking ?? '0') === '1';

async function run(prepackWeights: boolean | { encoder?: boolean; decoder?: boolean } | undefined, more: Partial<LoadOptions> = {}, overrides: Partial<Runtime> = {}) {
  const { runtime, seen } = recording(overrides);
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(MODEL), runtime, {
    sessionOptions: { extra: { session: { 'intra_op.allow_spinning': '0' } } },
    ...(prepackWeights !== undefined ? { prepackWeights } : {}),
    ...more,
  });
  try {
    const [h, w] = model.imageSize;
    const pixels = Float32Array.from({ length: 2 * 3 * h * w }, (_, i) => Math.sin(i * 0.37));
    const logits = await model.logits({ dims: [2, 3, h, w], data: pixels }, [[0, 5, 7, 11], [0, 3, 2, 1]]);
    return { logits: logits.data, disabled: seen.map(disabled), arena: seen.map((o) => o?.enableCpuMemArena), spinning: seen.map((o) => (o?.extra as { session?: Record<string, string> }).session?.['intra_op.allow_spinning']) };
  } finally {
    await model.dispose();
  }
}

describe('prepackWeights', () => {
  it('turns prepacking off per graph, keeps the other session options, and changes no output', async () => {
    const on = await run(undefined);
    expect(on.disabled).toEqual([false, false]);
    const off = await run(false);
    expect(off.disabled).toEqual([true, true]);
    expect(off.spinning).toEqual(['0', '0']);
    const encoderOnly = await run({ encoder: false });
    expect(encoderOnly.disabled).toEqual([true, false]);
    // The same products with the weights packed at load or at each run (equal on this machine; a margin for others).
    expect(maxAbsDiff(off.logits, on.logits)).toBeLessThan(1e-5);
    expect(maxAbsDiff(encoderOnly.logits, on.logits)).toBeLessThan(1e-5);
  });
});

describe('memoryArena', () => {
  it("on Node is off by default for the decoder, and for the encoder with quantized weights; per graph, for both, or from sessionOptions; no output changes", async () => {
    const byDefault = await run(undefined);
    expect(byDefault.arena).toEqual([true, false]);
    expect((await run(undefined, { dtype: 'q8' })).arena).toEqual([false, false]);
    expect((await run(undefined, { dtype: 'q4' })).arena).toEqual([false, false]);
    expect((await run(undefined, { dtype: 'fp16' })).arena).toEqual([true, false]);
    expect((await run(undefined, { dtype: 'q8', memoryArena: { encoder: true } })).arena).toEqual([true, false]);
    expect(byDefault.spinning).toEqual(['0', '0']);
    expect((await run(undefined, { memoryArena: true })).arena).toEqual([true, true]);
    expect((await run(undefined, { memoryArena: false })).arena).toEqual([false, false]);
    expect((await run(undefined, { memoryArena: { decoder: true } })).arena).toEqual([true, true]);
    const fromSession = await run(undefined, { sessionOptions: { enableCpuMemArena: true } });
    expect(fromSession.arena).toEqual([true, true]);
    expect((await run(undefined, { sessionOptions: { enableCpuMemArena: true }, memoryArena: { decoder: false } })).arena).toEqual([true, false]);
    expect(maxAbsDiff(fromSession.logits, byDefault.logits)).toBe(0);
    // A runtime that does not say (the browser's) keeps onnxruntime's default for both.
    expect((await run(undefined, {}, { encoderMemoryArena: undefined, decoderMemoryArena: undefined })).arena).toEqual([true, true]);
    // One that says for one graph only, or for one weight type.
    expect((await run(undefined, {}, { encoderMemoryArena: false })).arena).toEqual([false, false]);
    expect((await run(undefined, { dtype: 'q8' }, { encoderMemoryArena: { q4: false } })).arena).toEqual([true, false]);
  });
});
