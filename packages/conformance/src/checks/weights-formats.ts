/**
 * Weights formats besides safetensors (fixtures/formats, tools/reference/make_checkpoint_format_fixtures.py),
 * read by the backend from bytes as any non-local loader reads them: `pytorch_model.bin` (single,
 * sharded, bfloat16), `tf_model.h5` and `flax_model.msgpack` give Python's logits, and hostile
 * `.bin` files are refused with typed errors.
 */
import { VedError, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, loadWeights, type PixelBatch } from '@ved/core';
import { assert, assertClose } from '../assert.js';
import { MemoryFiles } from '../memory-files.js';
import type { Check, ConformanceEnv } from '../types.js';

const text = new TextDecoder();

interface PairReference {
  pixel_values_shape: number[];
  pixel_values: number[];
  decoder_input_ids: number[][];
  formats: Record<string, { logits: number[] }>;
}

const WEIGHT_FILES: Record<string, string> = { bin: 'pytorch_model.bin', 'bin-bf16': 'pytorch_model.bin', tf: 'tf_model.h5', flax: 'flax_model.msgpack' };

/** The format's directory as in-memory files (shards found through the index). */
async function formatFiles(env: ConformanceEnv, pair: string, format: string): Promise<MemoryFiles> {
  const dir = `formats/${pair}/${format}`;
  const names = ['config.json', 'generation_config.json'];
  if (format === 'bin-sharded') {
    const index = await env.fixture(`${dir}/pytorch_model.bin.index.json`);
    names.push('pytorch_model.bin.index.json', ...new Set(Object.values((JSON.parse(text.decode(index)) as { weight_map: Record<string, string> }).weight_map)));
  } else {
    names.push(WEIGHT_FILES[format]!);
  }
  const files = new Map<string, Uint8Array>();
  for (const name of names) files.set(name, await env.fixture(`${dir}/${name}`));
  return new MemoryFiles(`fixtures/${dir}`, files);
}

export const weightsFormatChecks: Check[] = [
  {
    name: 'weights formats: pytorch_model.bin (single, sharded, bfloat16), tf_model.h5 and flax_model.msgpack give Python\'s logits',
    async run(env) {
      const cases: Array<[string, string]> = [
        ['vit-gpt2', 'bin'],
        ['vit-gpt2', 'bin-sharded'],
        ['vit-gpt2', 'bin-bf16'],
        ['vit-gpt2', 'tf'],
        ['vit-gpt2', 'flax'],
        ['deit-trocr', 'bin-sharded'],
        ['swin-bert', 'tf'],
        ['vit-bert', 'flax'],
      ];
      let worst = 0;
      for (const [pair, format] of cases) {
        const ref = JSON.parse(text.decode(await env.fixture(`formats/${pair}/reference.json`))) as PairReference;
        const files = await formatFiles(env, pair, format);
        const warnings: string[] = [];
        const weights = await loadWeights(files, { onWarning: (message) => void warnings.push(message) });
        assert(warnings.length === (format === 'tf' || format === 'flax' ? 1 : 0), `${pair}/${format}: ${warnings.length} warnings`);
        const raw = JSON.parse(text.decode(await files.readBytes('config.json'))) as Record<string, unknown>;
        const model = await VisionEncoderDecoderModel.fromWeights(new VisionEncoderDecoderConfig(raw, `${files.location}/config.json`), weights, env.runtime);
        try {
          const pixelValues: PixelBatch = { data: Float32Array.from(ref.pixel_values), dims: ref.pixel_values_shape as PixelBatch['dims'] };
          const logits = await model.logits(pixelValues, ref.decoder_input_ids);
          worst = Math.max(worst, assertClose(logits.data, ref.formats[format]!.logits, 1e-4, `${pair}/${format} logits`));
        } finally {
          await model.dispose();
        }
      }
      return `${cases.length} checkpoints, max |diff| ${worst.toExponential(2)}`;
    },
  },
  {
    name: 'weights formats: hostile pytorch_model.bin files are refused with typed errors',
    async run(env) {
      const expected: Record<string, string> = {
        'posix-system-reduce.bin': 'UNSAFE_PICKLE',
        'builtins-eval.bin': 'UNSAFE_PICKLE',
        'stack-global.bin': 'UNSAFE_PICKLE',
        'ext1.bin': 'UNSAFE_PICKLE',
        'build-on-list.bin': 'UNSAFE_PICKLE',
        'storage-terabytes.bin': 'INVALID_CHECKPOINT',
        'zip-dotdot.bin': 'INVALID_CHECKPOINT',
        'zip-bomb.bin': 'INVALID_CHECKPOINT',
        'truncated.bin': 'INVALID_CHECKPOINT',
      };
      for (const [name, code] of Object.entries(expected)) {
        const files = new MemoryFiles('fixtures/formats/hostile', new Map([['pytorch_model.bin', await env.fixture(`formats/hostile/${name}`)]]));
        let error: unknown;
        try {
          await loadWeights(files);
        } catch (e) {
          error = e;
        }
        assert(error instanceof VedError && error.code === code, `${name}: expected a VedError ${code}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
      return `${Object.keys(expected).length} files refused`;
    },
  },
];
