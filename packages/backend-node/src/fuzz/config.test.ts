/**
 * Property-based fuzzing (fast-check, fixed seeds, bounded runs) of the
 * config readers: config.json (the VisionEncoderDecoder config, every
 * registered encoder and decoder's `parseConfig`, the weights it implies),
 * preprocessor_config.json, and the generation config, read, merged and run
 * by `generate()` on a small stand-in model. On generated input they only
 * ever throw a `VedError`.
 */
import { describe, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  ImageProcessor,
  VedError,
  VisionEncoderDecoderConfig,
  checkStep,
  compose,
  impliedWeightSize,
  knownDecoders,
  knownEncoders,
  type DecodingSession,
  type EncodedImages,
  type EncoderDecoderLM,
  type StepLogits,
} from '@ved/core';
import { GENERATION_OPTION_NAMES, generate, generationOptionJsonKey, generationOptionsFromJson, modelGenerationConfig } from '@ved/generation';
import '../register-builtins.js';
import { fixturePath } from '../test-utils/fixtures.js';

const SEED = 2019;

async function onlyVedErrors(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
  }
}

/** Values a config field may hold, sensible or not. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -4, max: 64 }) },
  fc.constantFrom(0, 1, 2, 3, -1, -100, 2 ** 31, 2 ** 53, 1e300, 0.5, -0.5, Number.MIN_VALUE),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('gelu', 'relu', 'gelu_new', 'tanh', 'never', 'bicubic', 'nope'),
  fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 4 }),
  fc.array(fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer({ min: -2, max: 40 }), { maxKeys: 3 }),
);

/** Keys the readers know, plus others. */
const CONFIG_KEYS = [
  'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'image_size', 'patch_size', 'num_channels',
  'hidden_act', 'layer_norm_eps', 'qkv_bias', 'n_embd', 'n_layer', 'n_head', 'n_positions', 'n_inner', 'vocab_size', 'd_model',
  'decoder_layers', 'decoder_attention_heads', 'decoder_ffn_dim', 'max_position_embeddings', 'pad_token_id', 'bos_token_id',
  'eos_token_id', 'add_cross_attention', 'is_decoder', 'scale_embedding', 'use_learned_position_embeddings', 'layernorm_embedding',
  'cross_attention_hidden_size', 'embed_dim', 'depths', 'num_heads', 'window_size', 'mlp_ratio', 'use_absolute_embeddings',
  'tie_word_embeddings', 'activation_function', 'type_vocab_size', 'use_mean_pooling', 'use_relative_position_bias',
  'encoder_stride', 'initializer_range', 'init_std', 'random_key',
];

/** Every fixture checkpoint's file `name` (real configs of every architecture): the fuzzer mutates these. */
function fixtureJson(name: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const group of ['models', 'decoders', 'encoders']) {
    for (const dir of readdirSync(fixturePath(group))) {
      const file = join(fixturePath(group), dir, name);
      if (existsSync(file)) out.push(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
    }
  }
  return out;
}

type Mutation = [where: string, keyIndex: number, newKey: string | undefined, value: unknown, op: 'set' | 'delete'];

const mutation = (wheres: readonly string[], keys: readonly string[]): fc.Arbitrary<Mutation> =>
  fc.tuple(fc.constantFrom(...wheres), fc.nat(), fc.option(fc.constantFrom(...keys), { freq: 4 }).map((k) => k ?? undefined), value, fc.constantFrom('set' as const, 'set' as const, 'delete' as const));

/** A deep copy of `base` with each mutation applied to an existing key (or a named one) of the object at `where`. */
function mutate(base: Record<string, unknown>, mutations: readonly Mutation[]): Record<string, unknown> {
  const copy = structuredClone(base);
  for (const [where, index, newKey, v, op] of mutations) {
    const target = (where === 'top' ? copy : copy[where]) as Record<string, unknown> | undefined;
    if (target === null || typeof target !== 'object' || Array.isArray(target)) continue;
    const existing = Object.keys(target);
    const key = newKey ?? existing[index % Math.max(1, existing.length)] ?? 'model_type';
    if (op === 'delete') delete target[key];
    else target[key] = v;
  }
  return copy;
}

describe('config.json under fuzzing', () => {
  it('VisionEncoderDecoderConfig, every plugin\'s parseConfig and the weights it implies', async () => {
    const bases = fixtureJson('config.json');
    const keys = [...CONFIG_KEYS, 'model_type'];
    const config = fc.tuple(fc.constantFrom(...bases), fc.array(mutation(['encoder', 'decoder', 'decoder', 'encoder', 'top'], keys), { minLength: 1, maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(config, async ([base, mutations]) => {
        await onlyVedErrors(async () => {
          const parsed = new VisionEncoderDecoderConfig(mutate(base, mutations), 'fuzz/config.json');
          const parts = await compose(parsed);
          impliedWeightSize(parts);
          parts.decoder.maxPositions?.(parts.decoderConfig);
          parts.decoder.cacheLayout(parts.decoderConfig);
        });
      }),
      { seed: SEED, numRuns: 800 },
    );
  });

  it('preprocessor_config.json', () => {
    const bases = fixtureJson('preprocessor_config.json');
    const keys = [
      'image_processor_type', 'do_resize', 'size', 'resample', 'do_rescale', 'rescale_factor', 'do_normalize', 'image_mean', 'image_std',
      'do_center_crop', 'crop_size', 'do_convert_rgb', 'do_align_long_axis', 'do_thumbnail', 'do_pad',
    ];
    const processorValue = fc.oneof(
      value,
      fc.constantFrom('ViTImageProcessor', 'DeiTImageProcessor', 'DonutImageProcessor', 'BeitImageProcessor', 'NoSuchProcessor'),
      fc.record({ height: value, width: value }, { requiredKeys: [] }),
      fc.record({ shortest_edge: value, longest_edge: value }, { requiredKeys: [] }),
    );
    const mutationOf = fc.tuple(fc.constant('top'), fc.nat(), fc.option(fc.constantFrom(...keys), { freq: 2 }).map((k) => k ?? undefined), processorValue, fc.constantFrom('set' as const, 'delete' as const));
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(mutationOf, { minLength: 1, maxLength: 3 }), (base, mutations) => {
        void onlyVedErrors(() => {
          const processor = ImageProcessor.fromJson(mutate(base, mutations as Mutation[]), { source: 'fuzz/preprocessor_config.json' });
          // Sizes up to the decompression-bomb limit are legal but slow: keep runs short.
          const sizes = [processor.config.size, processor.config.cropSize].flatMap((s) => (s === null ? [] : Object.values(s)));
          if (sizes.some((v) => typeof v === 'number' && v > 1024)) return;
          // Prepare a small image and a thin one with the mutated processor.
          processor.preprocess([{ width: 7, height: 5, channels: 3, data: new Uint8Array(7 * 5 * 3).fill(90) }]);
          processor.preprocess([{ width: 40, height: 1, channels: 4, data: new Uint8Array(40 * 4).fill(200) }]);
        });
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });
});

/** A stand-in model: vocab 16, 12 positions, pseudo-random logits; its sessions check steps as ved's do. */
function standInModel(): EncoderDecoderLM {
  const vocabSize = 16;
  const maxPositions = 12;
  return {
    vocabSize,
    maxPositions,
    encoderModelType: 'vit',
    async encode(pixelValues) {
      return { batchSize: pixelValues.dims[0] } satisfies EncodedImages;
    },
    startDecoding(_encoded, rowToImage): DecodingSession {
      let rows = rowToImage.length;
      const session: DecodingSession = {
        get rows() {
          return rows;
        },
        length: 0,
        async step(tokens): Promise<StepLogits> {
          checkStep(tokens, session.length, { vocabSize, maxPositions, where: 'stand-in' });
          (session as { length: number }).length += tokens[0]!.length;
          const data = new Float32Array(rows * vocabSize);
          for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 1.7 + session.length * 0.3 + (tokens[i % rows]?.[0] ?? 0)) * 3;
          return { data, rows, positions: 1, vocab: vocabSize };
        },
        reorder(indices) {
          rows = indices.length;
        },
        dispose() {},
      };
      return session;
    },
  };
}

describe('generation config under fuzzing', () => {
  const keys = GENERATION_OPTION_NAMES.map((n) => generationOptionJsonKey(n));
  const plausible = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -2, max: 20 }) },
    { weight: 2, arbitrary: fc.double({ min: 0, max: 3, noNaN: true }) },
    { weight: 2, arbitrary: fc.boolean() },
    { weight: 2, arbitrary: fc.array(fc.array(fc.integer({ min: -1, max: 18 }), { minLength: 1, maxLength: 3 }), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: -1, max: 18 }), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), fc.double({ min: 0.5, max: 2, noNaN: true })) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.array(fc.integer({ min: -1, max: 18 }), { minLength: 1, maxLength: 2 }), fc.double({ noNaN: true })), { maxLength: 2 }) },
    { weight: 2, arbitrary: value },
  );
  const json = fc.dictionary(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...keys) }, fc.string({ maxLength: 6 })), plausible, { minKeys: 1, maxKeys: 3 });

  it('generation_config.json, config.json\'s generation keys and --generation-config, read and merged', () => {
    fc.assert(
      fc.property(json, json, (file, call) => {
        void onlyVedErrors(() => {
          const model = modelGenerationConfig({ decoder: file }, file, 'fuzz/generation_config.json');
          modelGenerationConfig(file, undefined, 'fuzz/config.json');
          generationOptionsFromJson(call, '--generation-config', 'call');
          return model;
        });
      }),
      { seed: SEED, numRuns: 800 },
    );
  });

  it('generate() with any of them on a stand-in model', async () => {
    const model = standInModel();
    const small = (v: unknown) => typeof v !== 'number' || v <= 6;
    await fc.assert(
      fc.asyncProperty(json, json, async (file, call) => {
        // Beam and return-sequence counts are bounded so that a run stays small; everything else is free.
        if (!small(file.num_beams) || !small(call.num_beams) || !small(file.num_return_sequences) || !small(call.num_return_sequences)) return;
        await onlyVedErrors(async () => {
          const modelGeneration = modelGenerationConfig({}, { decoder_start_token_id: 1, eos_token_id: 2, ...file }, 'fuzz/generation_config.json');
          const options = generationOptionsFromJson(call, '--generation-config', 'call');
          await generate(
            model,
            { pixelValues: { data: new Float32Array(2 * 3 * 2 * 2), dims: [2, 3, 2, 2] }, modelGenerationConfig: modelGeneration, onWarning: () => {} },
            { maxNewTokens: 4, ...options },
          );
        });
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });
});
