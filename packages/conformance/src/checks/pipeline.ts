/**
 * The image-to-text pipeline every backend exports (@ved/pipeline's
 * `ImageToText` and `pipeline()`), run through each backend's own files,
 * runtime and image inputs: Python's ids and texts from the backend's inputs,
 * transformers.js's output shape, streaming under a beam config, decoder
 * prompts, cancellation, dispose, and ONNX exports (the transformers.js /
 * Optimum layout).
 */
import { VedError, readJson, type ModelFiles } from '@ved/core';
import { generate, type StreamChunk } from '@ved/generation';
import { assert, assertEqualJson, fail, rejection } from '../assert.js';
import { beamCases, loadReference } from '../fixtures.js';
import { MemoryFiles } from '../memory-files.js';
import type { Check, ConformanceEnv, PipelineEnv } from '../types.js';

const MODEL = 'vit-gpt2-a';

function pipelinesOf(env: ConformanceEnv): PipelineEnv {
  if (env.pipelines === undefined) fail(`${env.name} does not supply "pipelines" to the conformance environment.`);
  return env.pipelines;
}

/** The fixture model with its generation config changed (e.g. to ask for beams, as many checkpoints do). */
async function withGenerationConfig(env: ConformanceEnv, extra: Record<string, unknown>): Promise<ModelFiles> {
  const files = await env.modelFiles(MODEL);
  const names = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
  const map = new Map<string, Uint8Array>();
  for (const name of names) map.set(name, await files.readBytes(name));
  const generation = { ...((await readJson(files, 'generation_config.json')) as Record<string, unknown>), ...extra };
  map.set('generation_config.json', new TextEncoder().encode(JSON.stringify(generation)));
  return new MemoryFiles(`${files.location} (generation config ${JSON.stringify(extra)})`, map);
}

/** Each row's streamed text, joined. */
function joinChunks(chunks: readonly { text?: string[] }[], rows: number): string[] {
  const out = new Array<string>(rows).fill('');
  for (const c of chunks) c.text?.forEach((t, r) => (out[r] += t));
  return out;
}

export const pipelineChecks: Check[] = [
  {
    name: 'pipeline: generate() on the backend\'s own image inputs gives Python\'s greedy ids and texts',
    async run(env) {
      const p = pipelinesOf(env);
      const ref = await loadReference(env, MODEL);
      const pipe = await p.fromPretrained(await env.modelFiles(MODEL));
      try {
        const images = ref.json.images.map((path) => p.image(path.replace(/^fixtures\//, '')));
        const out = await pipe.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens });
        assertEqualJson(out.sequences, ref.json.greedy.sequences, 'greedy ids');
        assertEqualJson(out.texts, ref.json.greedy_text, 'texts');
        const one = await pipe.generate(images[0], { maxNewTokens: ref.json.greedy.max_new_tokens });
        assertEqualJson(one.sequences, [ref.json.greedy.sequences[0]], 'one image (not in an array)');
      } finally {
        await pipe.dispose();
      }
    },
  },
  {
    name: 'pipeline: every kind of image input the backend takes gives the same pixel_values; others are INVALID_IMAGE listing the accepted kinds',
    async run(env) {
      const p = pipelinesOf(env);
      const pipe = await p.fromPretrained(await env.modelFiles(MODEL));
      try {
        for (const path of ['images/rgb_48x36.jpg', 'images/rgb_40x30.png']) {
          const expected = await pipe.preprocess([p.image(path)]);
          const kinds = await p.imageKinds(path);
          assert(Object.keys(kinds).length >= 5, `${env.name}: expected several input kinds, got ${Object.keys(kinds).join(', ')}`);
          for (const [kind, input] of Object.entries(kinds)) {
            const pv = await pipe.preprocess([input]);
            assertEqualJson(Array.from(pv.data), Array.from(expected.data), `${path} as ${kind}`);
          }
        }
        for (const bad of [42, { nope: true }, null]) {
          const err = await rejection(pipe.preprocess([bad]), `input ${JSON.stringify(bad)}`);
          assert(err instanceof VedError && err.code === 'INVALID_IMAGE', `input ${JSON.stringify(bad)}: expected INVALID_IMAGE, got ${String(err)}`);
          assert(/expected .*URL.*RawImage/.test(err.message), `input ${JSON.stringify(bad)}: the message lists what is accepted: ${err.message}`);
        }
      } finally {
        await pipe.dispose();
      }
    },
  },
  {
    name: "pipeline('image-to-text'): [{generated_text}] for one image, one array per image for several, snake_case or camelCase options",
    async run(env) {
      const p = pipelinesOf(env);
      const ref = await loadReference(env, MODEL);
      const captioner = await p.pipeline(await env.modelFiles(MODEL));
      try {
        const images = ref.json.images.map((path) => p.image(path.replace(/^fixtures\//, '')));
        const n = ref.json.greedy.max_new_tokens;
        const expected = ref.json.greedy_text.map((t) => [{ generated_text: t.trim() }]);
        assertEqualJson(await captioner(images[0], { max_new_tokens: n }), expected[0], 'one image');
        assertEqualJson(await captioner(images, { max_new_tokens: n }), expected, 'several images');
        assertEqualJson(await captioner(images, { maxNewTokens: n }), expected, 'camelCase options');
        const beams = await captioner(images.slice(0, 2), { num_beams: 3, num_return_sequences: 2, max_new_tokens: 4 });
        assertEqualJson(beams.map((b) => b.length), [2, 2], 'num_return_sequences entries per image');
        const err = await rejection(captioner(images[0], { max_new_tokenz: 3 }), 'unknown option');
        assert(err instanceof VedError && err.code === 'INVALID_OPTION' && err.message.includes('max_new_tokenz'), `unknown option: ${String(err)}`);
      } finally {
        await captioner.dispose();
      }
    },
  },
  {
    name: 'pipeline: stream() under a checkpoint that asks for beams streams one beam token by token (greedy\'s ids and text)',
    async run(env) {
      const p = pipelinesOf(env);
      const ref = await loadReference(env, MODEL);
      const pipe = await p.fromPretrained(await withGenerationConfig(env, { num_beams: 3 }));
      try {
        const images = ref.json.images.map((path) => p.image(path.replace(/^fixtures\//, '')));
        const stream = pipe.stream(images, { maxNewTokens: ref.json.greedy.max_new_tokens });
        assertEqualJson([stream.delivery, stream.numBeams], ['tokens', 1], 'delivery and beams');
        const chunks: StreamChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        const result = await stream.result;
        assertEqualJson(result.sequences, ref.json.greedy.sequences, 'streamed ids (greedy)');
        assertEqualJson(joinChunks(chunks, images.length), result.texts, 'streamed text = the texts');
        assert(chunks.length === ref.json.greedy.max_new_tokens + 1, `one chunk per step and a flush, got ${chunks.length}`);
        // generate() itself still runs the checkpoint's beams.
        const beam = await pipe.generate(images, { maxNewTokens: ref.json.greedy.max_new_tokens });
        assertEqualJson(beam.sequences, beamCases(MODEL).find((c) => c.options.numBeams === 3 && Object.keys(c.options).length === 2)!.sequences, 'generate(): Python\'s beam ids');
      } finally {
        await pipe.dispose();
      }
    },
  },
  {
    name: 'pipeline: beams asked in the call are streamed whole after the search; beamStreaming "error" refuses as Python does; onToken follows the same rule',
    async run(env) {
      const p = pipelinesOf(env);
      const ref = await loadReference(env, MODEL);
      const pipe = await p.fromPretrained(await env.modelFiles(MODEL));
      try {
        const images = ref.json.images.map((path) => p.image(path.replace(/^fixtures\//, '')));
        const options = { numBeams: 3, maxNewTokens: 12 };
        const python = beamCases(MODEL).find((c) => JSON.stringify(c.options) === JSON.stringify(options))!;
        const stream = pipe.stream(images, options);
        assertEqualJson([stream.delivery, stream.numBeams], ['whole', 3], 'delivery and beams');
        const chunks: StreamChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        const result = await stream.result;
        assertEqualJson(result.sequences, python.sequences, "Python's beam ids");
        assertEqualJson(joinChunks(chunks, images.length), result.texts, 'replayed text = the texts');
        assertEqualJson(
          result.sequences.map((s, r) => [s[0], ...chunks.filter((c) => c.tokens.length > 0).map((c) => c.tokens[r])]),
          result.sequences,
          'replayed tokens = the sequences',
        );
        const err = await rejection(Promise.resolve().then(() => pipe.stream(images, { ...options, beamStreaming: 'error' })), 'beamStreaming error');
        assert(err instanceof VedError && err.code === 'INVALID_OPTION' && err.message.includes('`streamer` cannot be used with beam search'), `error: ${String(err)}`);
        const events: { step: number; tokens: number[]; texts: string[] }[] = [];
        const withEvents = await pipe.generate(images, { ...options, onToken: (e) => events.push(e) });
        assertEqualJson(withEvents.sequences, python.sequences, 'onToken does not change the beams');
        assertEqualJson(events.at(-1)?.texts, withEvents.texts, 'last event texts');
        const greedy = await pipe.generate(images, { maxNewTokens: 12, beamStreaming: 'greedy', onToken: () => {} });
        assertEqualJson(greedy.sequences, ref.json.greedy.sequences, 'onToken without beams');
      } finally {
        await pipe.dispose();
      }
    },
  },
  {
    name: 'pipeline: decoder prompts as ids (one row for all, or per image) and as text',
    async run(env) {
      const p = pipelinesOf(env);
      const ref = await loadReference(env, MODEL);
      const pipe = await p.fromPretrained(await env.modelFiles(MODEL));
      try {
        const images = ref.json.images.slice(0, 2).map((path) => p.image(path.replace(/^fixtures\//, '')));
        const start = (ref.json as unknown as { decoder_start_token_id: number }).decoder_start_token_id;
        const prompt = [start, 48, 278];
        const expected = await generate(
          pipe.model,
          { pixelValues: await pipe.preprocess(images), modelGenerationConfig: pipe.generationConfig, decoderInputIds: [prompt, prompt] },
          { maxNewTokens: 4 },
        );
        const ids = await pipe.generate(images, { maxNewTokens: 4, decoderInputIds: prompt });
        assertEqualJson(ids.sequences, expected.sequences, 'one prompt row for every image');
        assertEqualJson((await pipe.generate(images, { maxNewTokens: 4, decoderInputIds: [prompt, prompt] })).sequences, expected.sequences, 'a row per image');
        const text = pipe.tokenizer!.decode([48, 278]);
        const tokenized = pipe.tokenizer!.encode(text, { addSpecialTokens: false });
        const viaText = await pipe.generate(images, { maxNewTokens: 4, prompt: text });
        assertEqualJson(viaText.sequences.map((s) => s.slice(0, tokenized.length + 1)), [[start, ...tokenized], [start, ...tokenized]], 'text prompt tokenized without special tokens');
      } finally {
        await pipe.dispose();
      }
    },
  },
  {
    name: 'pipeline: an AbortSignal cancels; dispose() is idempotent and later calls are DISPOSED',
    async run(env) {
      const p = pipelinesOf(env);
      const pipe = await p.fromPretrained(await env.modelFiles(MODEL));
      const image = p.image('images/rgb_40x30.png');
      const controller = new AbortController();
      controller.abort(new DOMException('stop', 'AbortError'));
      const aborted = await rejection(pipe.generate([image], { signal: controller.signal }), 'aborted generate()');
      assert((aborted as Error).name === 'AbortError', `aborted: expected AbortError, got ${String(aborted)}`);
      const streamAborted = await rejection(pipe.stream([image], { signal: controller.signal }).result, 'aborted stream()');
      assert((streamAborted as Error).name === 'AbortError', `stream aborted: got ${String(streamAborted)}`);
      await Promise.all([pipe.dispose(), pipe.dispose()]);
      await pipe.dispose();
      assert(pipe.disposed, 'disposed flag');
      const after = await rejection(pipe.generate([image]), 'generate() after dispose()');
      assert(after instanceof VedError && after.code === 'DISPOSED', `after dispose: ${String(after)}`);
    },
  },
  {
    name: 'pipeline: an ONNX export in the transformers.js / Optimum layout loads and gives Python\'s greedy ids',
    async run(env) {
      const p = pipelinesOf(env);
      const names = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'];
      const map = new Map<string, Uint8Array>();
      for (const name of names) map.set(name, await env.fixture(`onnx/${MODEL}/${name}`));
      const exportRef = JSON.parse(new TextDecoder().decode(await env.fixture(`onnx/${MODEL}/reference.json`))) as { greedy: number[][]; max_new_tokens: number };
      const ref = await loadReference(env, MODEL);
      const pipe = await p.fromPretrained(new MemoryFiles(`onnx/${MODEL}`, map));
      try {
        assert('layout' in pipe.model, 'loaded as an ONNX export');
        const out = await pipe.generate(ref.pixelValues, { maxNewTokens: exportRef.max_new_tokens });
        assertEqualJson(out.sequences, exportRef.greedy, "Python's greedy ids from the export");
        const images = ref.json.images.map((path) => p.image(path.replace(/^fixtures\//, '')));
        const fromImages = await pipe.generate(images, { maxNewTokens: exportRef.max_new_tokens });
        assertEqualJson(fromImages.sequences, exportRef.greedy, 'from the image files');
      } finally {
        await pipe.dispose();
      }
    },
  },
];
