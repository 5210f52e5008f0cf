/**
 * The fixture models (tiny random ViT + GPT-2, tools/reference/make_fixtures.py)
 * against Python transformers 5.18: pixel_values from PNG and JPEG files,
 * encoder output, logits, cached decoding, greedy and beam ids, text.
 */
import { ImageProcessor, Tokenizer } from '@ved/core';
import { generate, modelGenerationConfig, type GenerationOptions } from '@ved/generation';
import { assertClose, assertEqualJson } from '../assert.js';
import { FIXTURE_MODELS, beamCases, loadModel, loadReference, type FixtureModel } from '../fixtures.js';
import type { Check, ConformanceEnv } from '../types.js';

async function generated(env: ConformanceEnv, name: FixtureModel, options: GenerationOptions): Promise<number[][]> {
  const [model, ref] = await Promise.all([loadModel(env, name), loadReference(env, name)]);
  const { sequences } = await generate(
    model,
    { pixelValues: ref.pixelValues, modelGenerationConfig: modelGenerationConfig(model.config.raw, model.generationConfigJson) },
    options,
  );
  return sequences;
}

function modelChecks(name: FixtureModel): Check[] {
  return [
    {
      name: `${name}: pixel_values from its PNG and JPEG files within 1e-5 of Python`,
      async run(env) {
        const ref = await loadReference(env, name);
        const files = await env.modelFiles(name);
        const processor = await ImageProcessor.load(JSON.parse(new TextDecoder().decode(await files.readBytes('preprocessor_config.json'))));
        const images = await Promise.all(
          ref.json.images.map(async (path) => env.decodeImage(await env.fixture(path.replace(/^fixtures\//, '')), path)),
        );
        const pv = processor.preprocess(images);
        assertEqualJson(pv.dims, ref.pixelValues.dims, 'pixel_values dims');
        return `max |diff| ${assertClose(pv.data, ref.pixelValues.data, 1e-5, 'pixel_values').toExponential(2)}`;
      },
    },
    {
      name: `${name}: encoder last_hidden_state within 1e-4 of Python`,
      async run(env) {
        const [model, ref] = await Promise.all([loadModel(env, name), loadReference(env, name)]);
        const encoded = await model.encode(ref.pixelValues);
        assertEqualJson(encoded.lastHiddenState.dims, ref.tensors.info('encoder_last_hidden_state').shape, 'last_hidden_state dims');
        const diff = assertClose(encoded.lastHiddenState.data as Float32Array, ref.tensors.getFloat32('encoder_last_hidden_state'), 1e-4, 'last_hidden_state');
        return `max |diff| ${diff.toExponential(2)}`;
      },
    },
    {
      name: `${name}: first-step and teacher-forced logits within 1e-4 of Python`,
      async run(env) {
        const [model, ref] = await Promise.all([loadModel(env, name), loadReference(env, name)]);
        const first = await model.logits(ref.pixelValues, ref.json.decoder_input_ids.map((row) => [row[0]!]));
        const d1 = assertClose(first.data, ref.tensors.getFloat32('first_step_logits'), 1e-4, 'first-step logits');
        const full = await model.logits(ref.pixelValues, ref.json.decoder_input_ids);
        assertEqualJson([full.rows, full.positions, full.vocab], ref.tensors.info('teacher_forced_logits').shape, 'teacher-forced logits shape');
        const d2 = assertClose(full.data, ref.tensors.getFloat32('teacher_forced_logits'), 1e-4, 'teacher-forced logits');
        return `max |diff| ${Math.max(d1, d2).toExponential(2)}`;
      },
    },
    {
      name: `${name}: cached step-by-step decoding equals one teacher-forced pass`,
      async run(env) {
        const [model, ref] = await Promise.all([loadModel(env, name), loadReference(env, name)]);
        const ids = ref.json.decoder_input_ids;
        const full = await model.logits(ref.pixelValues, ids);
        const session = model.startDecoding(await model.encode(ref.pixelValues), ids.map((_, i) => i));
        const T = ids[0]!.length;
        let worst = 0;
        try {
          for (let t = 0; t < T; t++) {
            const step = await session.step(ids.map((row) => [row[t]!]));
            for (let r = 0; r < ids.length; r++) {
              const a = step.data.subarray(r * step.vocab, (r + 1) * step.vocab);
              const b = full.data.subarray((r * T + t) * full.vocab, (r * T + t + 1) * full.vocab);
              worst = Math.max(worst, assertClose(a, b, 1e-5, `row ${r} step ${t}`));
            }
          }
        } finally {
          session.dispose();
        }
        return `max |diff| ${worst.toExponential(2)}`;
      },
    },
    {
      name: `${name}: greedy ids equal Python's (rows finishing at different steps)`,
      async run(env) {
        const ref = await loadReference(env, name);
        const sequences = await generated(env, name, { maxNewTokens: ref.json.greedy.max_new_tokens });
        assertEqualJson(sequences, ref.json.greedy.sequences, 'greedy sequences');
      },
    },
    {
      name: `${name}: beam search ids equal Python's (${beamCases(name).length} configurations)`,
      async run(env) {
        for (const c of beamCases(name)) {
          const sequences = await generated(env, name, c.options as GenerationOptions);
          assertEqualJson(sequences, c.sequences, `beam sequences for ${JSON.stringify(c.options)}`);
        }
      },
    },
    {
      name: `${name}: decoded text equals Python's batch_decode`,
      async run(env) {
        const ref = await loadReference(env, name);
        const tokenizer = await Tokenizer.fromFiles(await env.modelFiles(name));
        assertEqualJson(tokenizer?.batchDecode(ref.json.greedy.sequences, { skipSpecialTokens: true }), ref.json.greedy_text, 'texts');
      },
    },
  ];
}

export const fixtureModelChecks: Check[] = FIXTURE_MODELS.flatMap(modelChecks);
