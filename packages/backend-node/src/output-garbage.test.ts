/**
 * The Node runtime counts the bytes its sessions' runs return to JavaScript and collects once they pass a
 * budget, before an encoder run (output-garbage.ts): the count, the budget, and that both kinds of model
 * ask for it before their encoder runs and not before their decoder steps. Outputs do not change.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, OnnxExportModel, VisionEncoderDecoderModel, type InferenceSession, type Runtime } from '@ved/core';
import { generate, modelGenerationConfig } from '@ved/generation';
import { DirectoryFiles } from './directory-files.js';
import { OUTPUT_BUDGET_BYTES, countOutputs, outputBytesSinceCollection, reclaimOutputs, setOutputReclaim } from './output-garbage.js';
import { nodeRuntime } from './runtime.js';
import { ONNX_FIXTURES } from './exports/onnx-fixtures.js';
import { fixturePath, loadModelReference, maxAbsDiff } from './test-utils/fixtures.js';
import { join } from 'node:path';
import './register-builtins.js';

/** A session over `y = Concat(x, x)`. */
async function concatSession(): Promise<InferenceSession> {
  const g = new GraphBuilder('concat');
  g.output('y', g.op('Concat', [g.input('x', 'float32', ['n']), 'x'], { axis: 0 }), 'float32', ['m']);
  return (await ort.InferenceSession.create(g.build().model)) as unknown as InferenceSession;
}

describe('countOutputs / reclaimOutputs', () => {
  it('counts the bytes each run returns, and collects once they reach the budget, then counts again from zero', async () => {
    const session = countOutputs((await concatSession()) as unknown as ort.InferenceSession) as unknown as InferenceSession;
    let collections = 0;
    const collect = () => void collections++;
    reclaimOutputs(0, collect); // start from zero
    collections = 0;
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]) as never });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(outputBytesSinceCollection()).toBe(24);
    await session.run({ x: new ort.Tensor('float32', new Float32Array(1000), [1000]) as never });
    expect(outputBytesSinceCollection()).toBe(24 + 8000);
    expect(reclaimOutputs(8025, collect)).toBe(false);
    expect(collections).toBe(0);
    expect(reclaimOutputs(8024, collect)).toBe(true);
    expect(collections).toBe(1);
    expect(outputBytesSinceCollection()).toBe(0);
    expect(reclaimOutputs(1, collect)).toBe(false);
    expect(OUTPUT_BUDGET_BYTES).toBe(128 * 1024 * 1024);
    // Turned off for the process (as `ved serve` does), it never collects, and on again it does.
    await session.run({ x: new ort.Tensor('float32', new Float32Array(8), [8]) as never });
    setOutputReclaim(false);
    expect(reclaimOutputs(1, collect)).toBe(false);
    setOutputReclaim(true);
    expect(reclaimOutputs(1, collect)).toBe(true);
    expect(collections).toBe(2);
  });

  it("the Node runtime's sessions count their outputs, and its reclaimOutputs collects garbage only when due", async () => {
    reclaimOutputs(0, () => {});
    const g = new GraphBuilder('concat');
    g.output('y', g.op('Concat', [g.input('x', 'float32', ['n']), 'x'], { axis: 0 }), 'float32', ['m']);
    const session = await nodeRuntime.createSession(g.build().model);
    await session.run({ x: nodeRuntime.tensor('float32', new Float32Array(4), [4]) });
    expect(outputBytesSinceCollection()).toBe(32);
    nodeRuntime.reclaimOutputs!(); // far below the budget: nothing happens
    expect(outputBytesSinceCollection()).toBe(32);
  });
});

/** nodeRuntime with reclaimOutputs recorded in the order of the runs: 'reclaim', then 'encoder' or 'decoder' per run. */
function recording(): { runtime: Runtime; events: string[] } {
  const events: string[] = [];
  const runtime: Runtime = Object.assign(Object.create(nodeRuntime) as Runtime, {
    reclaimOutputs: () => void events.push('reclaim'),
    createSession: async (...args: Parameters<Runtime['createSession']>) => {
      const session = await nodeRuntime.createSession(...args);
      const kind = session.inputNames.includes('pixel_values') ? 'encoder' : 'decoder';
      const run = session.run.bind(session) as (...a: unknown[]) => Promise<InferenceSession.ReturnType>;
      Object.defineProperty(session, 'run', { value: (...a: unknown[]) => (events.push(kind), run(...a)) });
      return session;
    },
  });
  return { runtime, events };
}

describe('models ask for it before each encoder run', () => {
  const ref = loadModelReference('vit-gpt2-a');
  const pixelValues = { data: ref.tensors.getFloat32('pixel_values'), dims: ref.tensors.info('pixel_values').shape as [number, number, number, number] };

  it('VisionEncoderDecoderModel: once per encode(), before the encoder, never before a step', async () => {
    const { runtime, events } = recording();
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(fixturePath('models', 'vit-gpt2-a')), runtime);
    events.length = 0;
    await generate(model, { pixelValues, modelGenerationConfig: modelGenerationConfig(model.config.raw, model.generationConfigJson) }, { maxNewTokens: 3, minNewTokens: 3 });
    expect(events.slice(0, 2)).toEqual(['reclaim', 'encoder']);
    expect(events.filter((e) => e === 'reclaim')).toHaveLength(1);
    expect(events.slice(2).every((e) => e === 'decoder')).toBe(true);
    await model.dispose();
  });

  it("with a real collection before every encoder run, Python's teacher-forced logits and greedy ids", async () => {
    let collections = 0;
    const runtime: Runtime = Object.assign(Object.create(nodeRuntime) as Runtime, {
      reclaimOutputs: () => void (reclaimOutputs(0) && collections++),
    });
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(fixturePath('models', 'vit-gpt2-a')), runtime);
    const config = modelGenerationConfig(model.config.raw, model.generationConfigJson);
    for (let round = 0; round < 2; round++) {
      const logits = await model.logits(pixelValues, ref.json.decoder_input_ids);
      expect(maxAbsDiff(logits.data, ref.tensors.getFloat32('teacher_forced_logits'))).toBeLessThan(1e-4);
      const out = await generate(model, { pixelValues, modelGenerationConfig: config }, { maxNewTokens: ref.json.greedy.max_new_tokens, numBeams: 1, doSample: false });
      expect(out.sequences.map((s) => s.map(Number))).toEqual(ref.json.greedy.sequences);
    }
    expect(collections).toBe(4);
    await model.dispose();
  });

  it('OnnxExportModel: the same', async () => {
    const { runtime, events } = recording();
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(join(ONNX_FIXTURES, 'vit-gpt2-a')), runtime);
    events.length = 0;
    await model.encode(pixelValues);
    expect(events).toEqual(['reclaim', 'encoder']);
    await model.dispose();
  });
});
