/**
 * The golden checks of one fixture against transformers, as a plain list of
 * named async functions (no test framework): each applies only when the
 * fixture holds its data, throws a `CheckFailure` on a difference and returns
 * the measured difference for the record. `./vitest` turns them into tests;
 * `runGoldenChecks` runs them anywhere.
 *
 * Tolerances are ved's fidelity bar: hidden states and logits within 1e-4 of
 * Python, cached decoding within 1e-5 of one teacher-forced pass, ids
 * identical, pixel values within 1e-5 of the Python image processor.
 */
import { join } from 'node:path';
import {
  Tokenizer,
  VisionEncoderDecoderModel,
  loadWeights,
  registerDecoder,
  registerEncoder,
  type DecoderPlugin,
  type EncoderPlugin,
  type PixelBatch,
  type Runtime,
} from '@ved/core';
import { generate, modelGenerationConfig, type GenerationOptions } from '@ved/generation';
import { assert, assertClose, assertEqualJson } from './assert.js';
import { fixturePixels, type GoldenFixture } from './fixture.js';
import { directoryFiles, nodeTestRuntime } from './node.js';
import { compareDecoderWeights, compareWeightSpecs } from './weight-specs.js';

/** The plugins under test, registered before the fixture's model loads (registering one twice is harmless). */
export interface GoldenPlugins {
  encoders?: readonly EncoderPlugin<any>[];
  decoders?: readonly DecoderPlugin<any>[];
}

/**
 * A backend's pipeline, for the check that runs the fixture's image files
 * end to end (e.g. `ImageToText` of @ved/backend-node, whose image decoding
 * the kit does not carry).
 */
export interface PipelineHook {
  fromPretrained(dir: string): Promise<{
    preprocess(images: string[]): Promise<{ data: ArrayLike<number>; dims: readonly number[] }>;
    generate(images: string[], options: { maxNewTokens: number }): Promise<{ sequences: number[][]; texts: string[] }>;
    dispose(): Promise<void>;
  }>;
  /** The directory the fixture's `images` paths are relative to (default: the fixture's own, as the generator writes them). */
  imageRoot?: string;
}

export interface GoldenOptions {
  /** Which plugin's `weights(config)` to compare with Python: the encoder's (encoder_weights.json), the decoder's (the checkpoint's `decoder.` tensors), both, or none. */
  weights?: 'encoder' | 'decoder' | 'both' | 'none';
  plugins?: GoldenPlugins;
  /** Defaults to onnxruntime-node on the CPU (`nodeTestRuntime`). */
  runtime?: Runtime;
  pipeline?: PipelineHook;
  /** Keeps only the checks whose name it accepts (e.g. a backend re-running only the pipeline check). */
  select?: (checkName: string) => boolean;
}

/** What a check runs against: the fixture and its model, loaded once per fixture. */
export interface GoldenContext {
  readonly fixture: GoldenFixture;
  readonly model: VisionEncoderDecoderModel;
  readonly pixelValues: PixelBatch;
  readonly generation: GenerationOptions;
}

export interface GoldenCheck {
  readonly name: string;
  /** Throws a `CheckFailure` on a difference; returns a detail such as `max |diff| 3.2e-7`. */
  run(ctx: GoldenContext): Promise<string | void>;
}

export function registerPlugins(plugins: GoldenPlugins = {}): void {
  for (const p of plugins.encoders ?? []) registerEncoder(p);
  for (const p of plugins.decoders ?? []) registerDecoder(p);
}

/** Loads the fixture's checkpoint with the plugins registered. Dispose `ctx.model` when done. */
export async function openGoldenContext(fixture: GoldenFixture, options: GoldenOptions = {}): Promise<GoldenContext> {
  registerPlugins(options.plugins);
  const model = await VisionEncoderDecoderModel.fromPretrained(directoryFiles(fixture.dir), options.runtime ?? nodeTestRuntime);
  const generation = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
  return { fixture, model, pixelValues: fixturePixels(fixture), generation };
}

const diffDetail = (diff: number) => `max |diff| ${diff.toExponential(2)}`;

/** The first `count` images of a batch. */
function firstImages(pixelValues: PixelBatch, count: number): PixelBatch {
  const [, c, h, w] = pixelValues.dims;
  return { data: pixelValues.data.subarray(0, count * c * h * w), dims: [count, c, h, w] };
}

/** Logits [rows, T, V] of `ids` fed one token per step through the cache (mask entries for the new token). */
async function stepByStep(model: VisionEncoderDecoderModel, pixelValues: PixelBatch, ids: number[][], mask?: number[][]): Promise<Float32Array> {
  const session = model.startDecoding(await model.encode(pixelValues), ids.map((_, i) => i));
  const T = ids[0]!.length;
  const V = model.vocabSize;
  const out = new Float32Array(ids.length * T * V);
  try {
    for (let t = 0; t < T; t++) {
      const step = await session.step(
        ids.map((row) => [row[t]!]),
        mask ? { attentionMask: mask.map((row) => [row[t]!]) } : {},
      );
      for (let r = 0; r < ids.length; r++) out.set(step.data.subarray(r * V, (r + 1) * V), (r * T + t) * V);
    }
  } finally {
    session.dispose();
  }
  return out;
}

/** The checks that apply to `fixture`, in a fixed order. */
export function goldenChecks(fixture: GoldenFixture, options: GoldenOptions = {}): GoldenCheck[] {
  const { json, tensors } = fixture;
  const has = (tensor: string) => tensors.names().includes(tensor);
  const weights = options.weights ?? 'none';
  const checks: GoldenCheck[] = [];
  const add = (name: string, run: GoldenCheck['run']) => checks.push({ name, run });

  if ((weights === 'encoder' || weights === 'both') && fixture.encoderWeights !== undefined) {
    const python = fixture.encoderWeights;
    add("weights(): the names, shapes and init rules of Python's encoder", async ({ model }) => {
      const { encoder, encoderConfig } = model.parts;
      assertEqualJson(compareWeightSpecs(encoder.weights(encoderConfig), python), [], `${fixture.name}: ${model.parts.config.encoderType} weights() vs Python`);
    });
  }
  if (weights === 'decoder' || weights === 'both') {
    add(`${json.decoder_model_type ?? 'decoder'} weights(): the decoder tensors of Python's checkpoint, with their init rules`, async ({ model }) => {
      const { decoder, decoderConfig } = model.parts;
      const problems = compareDecoderWeights(decoder.weights(decoderConfig), await loadWeights(directoryFiles(fixture.dir)));
      assertEqualJson(problems, [], `${fixture.name}: ${decoder.modelType} weights() vs the checkpoint`);
    });
  }
  if (typeof json.has_enc_to_dec_proj === 'boolean') {
    const expected = json.has_enc_to_dec_proj;
    add(`enc_to_dec_proj ${expected ? 'exists' : 'is absent'}, as in Python`, async ({ model }) => {
      assertEqualJson(model.parts.hasProjection, expected, `${fixture.name}: enc_to_dec_proj present`);
    });
  }
  if (has('encoder_last_hidden_state')) {
    add('encoder last_hidden_state within 1e-4', async ({ model, pixelValues }) => {
      const encoded = await model.encode(pixelValues);
      assertEqualJson(encoded.lastHiddenState.dims, tensors.info('encoder_last_hidden_state').shape, `${fixture.name}: encoder_last_hidden_state shape`);
      const data = encoded.lastHiddenState.data as Float32Array;
      return diffDetail(assertClose(data, tensors.getFloat32('encoder_last_hidden_state'), 1e-4, `${fixture.name}: encoder_last_hidden_state`));
    });
  }
  const cases = json.interpolate_pos_encoding ?? [];
  if (cases.length > 0) {
    add(`interpolatePosEncoding: encoder output at ${cases.map((c) => `${c.height}x${c.width}`).join(', ')} within 1e-4`, async ({ model }) => {
      const details: string[] = [];
      for (const c of cases) {
        const what = `${fixture.name}: interpolatePosEncoding at ${c.height}x${c.width}`;
        const encoded = await model.encode(fixturePixels(fixture, c.pixel_values), { interpolatePosEncoding: true });
        assertEqualJson(encoded.lastHiddenState.dims, c.shape, `${what}, last_hidden_state shape`);
        const diff = assertClose(encoded.lastHiddenState.data as Float32Array, tensors.getFloat32(c.last_hidden_state), 1e-4, what);
        details.push(`${c.height}x${c.width} ${diff.toExponential(2)}`);
      }
      return `max |diff| ${details.join(', ')}`;
    });
  }
  add('first-step logits within 1e-4', async ({ model, pixelValues }) => {
    const start = (json.decoder_input_ids ?? json.greedy.sequences).map((row) => [row[0]!]);
    const logits = await model.logits(pixelValues, start);
    return diffDetail(assertClose(logits.data, tensors.getFloat32('first_step_logits'), 1e-4, `${fixture.name}: first_step_logits`));
  });
  const ids = json.decoder_input_ids;
  if (ids !== undefined && has('teacher_forced_logits')) {
    add('teacher-forced logits within 1e-4', async ({ model, pixelValues }) => {
      const logits = await model.logits(pixelValues, ids);
      assertEqualJson([logits.rows, logits.positions, logits.vocab], tensors.info('teacher_forced_logits').shape, `${fixture.name}: teacher_forced_logits shape`);
      return diffDetail(assertClose(logits.data, tensors.getFloat32('teacher_forced_logits'), 1e-4, `${fixture.name}: teacher_forced_logits`));
    });
  }
  if (ids !== undefined) {
    add('cached step-by-step decoding equals one teacher-forced pass', async ({ model, pixelValues }) => {
      const full = await model.logits(pixelValues, ids);
      return diffDetail(assertClose(await stepByStep(model, pixelValues, ids), full.data, 1e-5, `${fixture.name}: cached vs one-pass logits`));
    });
  }
  const masked = json.masked;
  if (masked !== undefined && masked !== null) {
    // The padded inputs belong to the first images (one row each).
    const images = (pixelValues: PixelBatch) => firstImages(pixelValues, masked.decoder_input_ids.length);
    add('padded decoder_attention_mask: one-pass logits within 1e-4', async ({ model, pixelValues }) => {
      const logits = await model.logits(images(pixelValues), masked.decoder_input_ids, masked.decoder_attention_mask);
      return diffDetail(assertClose(logits.data, tensors.getFloat32('teacher_forced_masked_logits'), 1e-4, `${fixture.name}: teacher_forced_masked_logits`));
    });
    // Padding-aware positions (RoBERTa, TrOCR-sinusoidal) count only the new tokens with a cache, so after
    // a pad the cached logits differ from one pass, as in Python; elsewhere both paths agree.
    const incremental = has('incremental_masked_logits');
    add(`padded decoder_attention_mask: cached logits within 1e-4 ${incremental ? "of Python's cached pass" : 'of the one pass'}`, async ({ model, pixelValues }) => {
      const logits = await stepByStep(model, images(pixelValues), masked.decoder_input_ids, masked.decoder_attention_mask);
      const expected = incremental ? 'incremental_masked_logits' : 'teacher_forced_masked_logits';
      return diffDetail(assertClose(logits, tensors.getFloat32(expected), 1e-4, `${fixture.name}: cached ${expected}`));
    });
  }
  if (typeof json.generation_config_file === 'boolean') {
    const file = json.generation_config_file;
    add(`generation config from ${file ? 'generation_config.json' : 'the decoder config'}`, async ({ model, generation }) => {
      assertEqualJson(model.generationConfigJson !== undefined, file, `${fixture.name}: generation_config.json loaded`);
      assertEqualJson(generation.eosTokenId, json.eos_token_id, `${fixture.name}: eos_token_id`);
      assertEqualJson(generation.padTokenId, json.pad_token_id, `${fixture.name}: pad_token_id`);
      assertEqualJson(generation.decoderStartTokenId ?? generation.bosTokenId, json.decoder_start_token_id, `${fixture.name}: decoder start token`);
      assertEqualJson(generation.forcedEosTokenId ?? null, json.forced_eos_token_id ?? null, `${fixture.name}: forced_eos_token_id`);
    });
  }
  add('greedy ids identical to Python', async ({ model, pixelValues, generation }) => {
    const out = await generate(model, { pixelValues, modelGenerationConfig: generation }, { maxNewTokens: json.greedy.max_new_tokens });
    assertEqualJson(out.sequences, json.greedy.sequences, `${fixture.name}: greedy ids`);
  });
  const beam = json.beam;
  if (beam !== undefined) {
    add(`beam search (${beam.num_beams} beams) ids identical to Python`, async ({ model, pixelValues, generation }) => {
      const out = await generate(model, { pixelValues, modelGenerationConfig: generation }, { numBeams: beam.num_beams, maxNewTokens: beam.max_new_tokens });
      assertEqualJson(out.sequences, beam.sequences, `${fixture.name}: beam ids`);
    });
  }
  if (json.greedy_text !== undefined && beam !== undefined && json.beam_text !== undefined && json.decoder_model_type !== undefined) {
    const greedyText = json.greedy_text;
    const beamText = json.beam_text;
    add('texts equal Python batch_decode(skip_special_tokens=True) of the greedy and beam ids', async () => {
      const tokenizer = await Tokenizer.fromFiles(directoryFiles(fixture.dir));
      assert(tokenizer !== undefined, `${fixture.name}: no tokenizer files in ${fixture.dir}`);
      assertEqualJson(tokenizer.batchDecode(json.greedy.sequences, { skipSpecialTokens: true }), greedyText, `${fixture.name}: greedy texts`);
      assertEqualJson(tokenizer.batchDecode(beam.sequences, { skipSpecialTokens: true }), beamText, `${fixture.name}: beam texts`);
    });
  }
  const loss = json.loss;
  if (loss !== undefined) {
    add('loss (labels shifted right) within 1e-4', async ({ model, pixelValues }) => {
      const out = await model.forward({ pixelValues, labels: loss.labels });
      return diffDetail(assertClose([out.loss!], [loss.value], 1e-4, `${fixture.name}: loss`));
    });
  }
  const pipeline = options.pipeline;
  if (pipeline !== undefined && json.images !== undefined) {
    const files = json.images.map((p) => join(pipeline.imageRoot ?? fixture.dir, p));
    add('pipeline: pixel_values from the image files within 1e-5, same ids and texts', async ({ pixelValues }) => {
      const pipe = await pipeline.fromPretrained(fixture.dir);
      try {
        const pv = await pipe.preprocess(files);
        assertEqualJson(pv.dims, pixelValues.dims, `${fixture.name}: pipeline pixel_values shape`);
        const diff = assertClose(pv.data, pixelValues.data, 1e-5, `${fixture.name}: pipeline pixel_values`);
        const result = await pipe.generate(files, { maxNewTokens: json.greedy.max_new_tokens });
        assertEqualJson(result.sequences, json.greedy.sequences, `${fixture.name}: pipeline greedy ids`);
        if (json.greedy_text !== undefined) assertEqualJson(result.texts, json.greedy_text, `${fixture.name}: pipeline texts`);
        return `pixel_values ${diffDetail(diff)}`;
      } finally {
        await pipe.dispose();
      }
    });
  }
  const select = options.select;
  return select === undefined ? checks : checks.filter((c) => select(c.name));
}

export interface GoldenResult {
  name: string;
  ok: boolean;
  detail?: string;
  error?: string;
}

/** Runs every applicable check of one fixture without a test framework (each failure is reported, not thrown). */
export async function runGoldenChecks(fixture: GoldenFixture, options: GoldenOptions = {}): Promise<GoldenResult[]> {
  const ctx = await openGoldenContext(fixture, options);
  const results: GoldenResult[] = [];
  try {
    for (const check of goldenChecks(fixture, options)) {
      try {
        const detail = await check.run(ctx);
        results.push({ name: check.name, ok: true, ...(detail ? { detail } : {}) });
      } catch (error) {
        results.push({ name: check.name, ok: false, error: `${(error as Error).name}: ${(error as Error).message}` });
      }
    }
  } finally {
    await ctx.model.dispose();
  }
  return results;
}
