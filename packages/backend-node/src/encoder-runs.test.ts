/**
 * `encoderImagesPerRun` (LoadOptions): a batch encoded in runs of fewer images that onnxruntime-node
 * writes into one set of outputs (pre-allocated outputs over views of one buffer) gives the outputs of
 * one run and Python's encoder states, teacher-forced logits and greedy ids; runtimes that cannot fill
 * outputs in place run the batch at once; bad values are refused.
 */
import { describe, expect, it } from 'vitest';
import { VedError, VisionEncoderDecoderModel, type InferenceSession, type LoadOptions, type Runtime, type Tensor } from '@ved/core';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { generate, modelGenerationConfig } from '@ved/generation';
import { fixturePath, loadModelReference, maxAbsDiff } from './test-utils/fixtures.js';
import './register-builtins.js';

const MODEL = fixturePath('models', 'vit-gpt2-a');

/** nodeRuntime (or a variant), counting the encoder's runs and the images in each. */
function counting(overrides: Partial<Runtime> = {}): { runtime: Runtime; runs: number[] } {
  const runs: number[] = [];
  const runtime: Runtime = Object.assign(Object.create(nodeRuntime) as Runtime, overrides);
  runtime.createSession = async (model, options, hints) => {
    const session = await nodeRuntime.createSession(model, options, hints);
    if (!session.inputNames.includes('pixel_values')) return session;
    const run = session.run.bind(session) as (...args: unknown[]) => Promise<InferenceSession.ReturnType>;
    return new Proxy(session, {
      get(target, prop) {
        if (prop === 'run') {
          return (feeds: Record<string, Tensor>, ...rest: unknown[]) => {
            runs.push(feeds.pixel_values!.dims[0]!);
            return run(feeds, ...rest);
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { runtime, runs };
}

async function encode(images: number, options: LoadOptions, overrides: Partial<Runtime> = {}) {
  const { runtime, runs } = counting(overrides);
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(MODEL), runtime, options);
  try {
    const [h, w] = model.imageSize;
    const data = Float32Array.from({ length: images * 3 * h * w }, (_, i) => Math.sin(i * 0.37));
    const encoded = await model.encode({ dims: [images, 3, h, w], data });
    const logits = await model.logits({ dims: [images, 3, h, w], data }, Array.from({ length: images }, (_, r) => [0, 5 + r, 7, 11]));
    const tensors = [encoded.lastHiddenState, ...encoded.crossKeys, ...encoded.crossValues];
    return { runs, tensors: tensors.map((t) => ({ dims: [...t.dims], data: t.data as Float32Array })), logits: logits.data };
  } finally {
    await model.dispose();
  }
}

describe('encoderImagesPerRun', () => {
  it('encodes a batch in runs of that many images into one set of outputs, equal to one run', async () => {
    const whole = await encode(5, {});
    expect(whole.runs).toEqual([5, 5]);
    for (const [perRun, runs] of [[1, [1, 1, 1, 1, 1]], [2, [2, 2, 1]], [5, [5]], [8, [5]]] as const) {
      const split = await encode(5, { encoderImagesPerRun: perRun });
      expect(split.runs).toEqual([...runs, ...runs]); // encode(), then logits()' own encoder run
      expect(split.tensors.map((t) => t.dims)).toEqual(whole.tensors.map((t) => t.dims));
      split.tensors.forEach((t, i) => expect(maxAbsDiff(t.data, whole.tensors[i]!.data)).toBeLessThan(1e-6));
      expect(maxAbsDiff(split.logits, whole.logits)).toBeLessThan(1e-5);
    }
  });

  it("in runs of one image: Python's encoder states, teacher-forced logits and greedy ids", async () => {
    const ref = loadModelReference('vit-gpt2-a');
    const pixelValues = { data: ref.tensors.getFloat32('pixel_values'), dims: ref.tensors.info('pixel_values').shape as [number, number, number, number] };
    const { runtime, runs } = counting();
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), runtime, { encoderImagesPerRun: 1 });
    try {
      const encoded = await model.encode(pixelValues);
      expect(runs).toEqual([1, 1, 1, 1]);
      expect(maxAbsDiff(encoded.lastHiddenState.data as Float32Array, ref.tensors.getFloat32('encoder_last_hidden_state'))).toBeLessThan(1e-4);
      const logits = await model.logits(pixelValues, ref.json.decoder_input_ids);
      expect(maxAbsDiff(logits.data, ref.tensors.getFloat32('teacher_forced_logits'))).toBeLessThan(1e-4);
      const config = modelGenerationConfig(model.config.raw, model.generationConfigJson);
      const out = await generate(model, { pixelValues, modelGenerationConfig: config }, { maxNewTokens: ref.json.greedy.max_new_tokens, numBeams: 1, doSample: false });
      expect(out.sequences.map((s) => s.map(Number))).toEqual(ref.json.greedy.sequences);
    } finally {
      await model.dispose();
    }
  });

  it('runs the batch at once where the runtime cannot fill outputs in place', async () => {
    const { runs } = await encode(3, { encoderImagesPerRun: 1 }, { encoderOutputsInPlace: false });
    expect(runs).toEqual([3, 3]);
  });

  it('refuses a value that is not a positive integer', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      const err = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(MODEL), nodeRuntime, { encoderImagesPerRun: bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VedError);
      expect((err as VedError).code).toBe('INVALID_OPTION');
      expect((err as Error).message).toMatch(/encoderImagesPerRun is .*; expected a positive integer/);
    }
  });
});
