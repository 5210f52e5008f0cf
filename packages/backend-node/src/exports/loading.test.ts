/**
 * Loading exports through the user-facing paths: the pipeline picks the
 * export when a directory has no safetensors (and the safetensors when it has
 * both, unless asked), `dtype` selects file variants, the CLI's --format /
 * --dtype and `ved export`; and the errors: unknown graph inputs, missing
 * variants, bad options.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  GraphBuilder,
  OnnxExportModel,
  VedError,
  VisionEncoderDecoderModel,
  externalDataLocations,
  type Runtime,
} from '@ved/core';
import '../register-builtins.js';
import { UsageError } from '../cli/args.js';
import { runCaption } from '../cli/caption.js';
import { runExport } from '../cli/export.js';
import { DirectoryFiles } from '../directory-files.js';
import { ImageToText } from '../pipeline.js';
import { nodeRuntime } from '../runtime.js';
import { REPO_ROOT, fixturePath, loadModelReference, maxAbsDiff } from '../test-utils/fixtures.js';
import { formatOptionsFromFlags } from './format-flags.js';
import { ONNX_FIXTURES, onnxReferences, referencePixels } from './onnx-fixtures.js';
import { generate, modelGenerationConfig } from '@ved/generation';

const work = mkdtempSync(join(tmpdir(), 'ved-onnx-loading-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CHECKPOINT = fixturePath('models', 'vit-gpt2-a');
const EXPORT = join(ONNX_FIXTURES, 'vit-gpt2-a');

/** Runs a CLI command in-process and returns what it printed. */
async function cli(run: (argv: string[]) => Promise<void>, argv: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  });
  try {
    await run(argv);
  } finally {
    spy.mockRestore();
  }
  return out;
}

/** A directory with the checkpoint's JSON files and `graphs` as its onnx/ folder. */
function exportDir(name: string, graphs: Record<string, Uint8Array | string>): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json']) copyFileSync(join(EXPORT, f), join(dir, f));
  for (const [file, content] of Object.entries(graphs)) {
    if (typeof content === 'string') copyFileSync(content, join(dir, 'onnx', file));
    else writeFileSync(join(dir, 'onnx', file), content);
  }
  return dir;
}

async function loadError(dir: string, options = {}): Promise<VedError> {
  try {
    await OnnxExportModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime, options);
  } catch (err) {
    expect(err).toBeInstanceOf(VedError);
    return err as VedError;
  }
  throw new Error(`loading ${dir} did not fail`);
}

describe('the pipeline picks the format', () => {
  const ref = loadModelReference('vit-gpt2-a');
  const images = ref.json.images.map((p) => join(REPO_ROOT, p));
  const maxNewTokens = ref.json.greedy.max_new_tokens;

  it('a directory with only an ONNX export runs the export: same pixels, ids and text as Python', async () => {
    const pipe = await ImageToText.fromPretrained(EXPORT);
    try {
      expect(pipe.model).toBeInstanceOf(OnnxExportModel);
      const pv = await pipe.preprocess(images);
      expect(maxAbsDiff(pv.data, ref.tensors.getFloat32('pixel_values'))).toBeLessThan(1e-5);
      const result = await pipe.generate(images, { maxNewTokens });
      expect(result.sequences).toEqual(ref.json.greedy.sequences);
      expect(result.texts).toEqual(ref.json.greedy_text);
    } finally {
      await pipe.dispose();
    }
  });

  it('a directory with both uses the safetensors unless format "onnx" is asked; both give the same ids', async () => {
    const both = join(work, 'both');
    cpSync(CHECKPOINT, both, { recursive: true });
    cpSync(join(EXPORT, 'onnx'), join(both, 'onnx'), { recursive: true });
    const built = await ImageToText.fromPretrained(both);
    const exported = await ImageToText.fromPretrained(both, { format: 'onnx' });
    try {
      expect(built.model).toBeInstanceOf(VisionEncoderDecoderModel);
      expect(exported.model).toBeInstanceOf(OnnxExportModel);
      const a = await built.generate(images, { maxNewTokens });
      const b = await exported.generate(images, { maxNewTokens });
      expect(b.sequences).toEqual(a.sequences);
      expect(b.sequences).toEqual(ref.json.greedy.sequences);
    } finally {
      await Promise.all([built.dispose(), exported.dispose()]);
    }
  });

  it('teacher-forced logits and the loss of the export match the built model', async () => {
    const built = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(CHECKPOINT), nodeRuntime);
    const exported = await OnnxExportModel.fromPretrained(new DirectoryFiles(EXPORT), nodeRuntime);
    try {
      const pixelValues = { data: ref.tensors.getFloat32('pixel_values'), dims: ref.tensors.info('pixel_values').shape as [number, number, number, number] };
      const labels = ref.json.decoder_input_ids.map((row) => [...row.slice(1), -100]);
      const a = await built.forward({ pixelValues, labels });
      const b = await exported.forward({ pixelValues, labels });
      expect(maxAbsDiff(b.logits.data, ref.tensors.getFloat32('teacher_forced_logits'))).toBeLessThan(1e-4);
      expect(maxAbsDiff(b.logits.data, a.logits.data)).toBeLessThan(1e-4);
      expect(Math.abs(b.loss! - a.loss!)).toBeLessThan(1e-5);
    } finally {
      await Promise.all([built.dispose(), exported.dispose()]);
    }
  });

  it('format "onnx" on a directory without an export, and an unknown format, fail naming what is missing', async () => {
    await expect(ImageToText.fromPretrained(CHECKPOINT, { format: 'onnx' })).rejects.toThrow(/format "onnx" was asked for, but .*vit-gpt2-a has no ONNX export \(onnx\/encoder_model\*\.onnx/);
    await expect(ImageToText.fromPretrained(CHECKPOINT, { format: 'tflite' as never })).rejects.toThrow(/format "tflite" is not one of "safetensors", "onnx"/);
    const empty = join(work, 'empty');
    mkdirSync(empty, { recursive: true });
    copyFileSync(join(CHECKPOINT, 'config.json'), join(empty, 'config.json'));
    await expect(ImageToText.fromPretrained(empty)).rejects.toThrow(/No weights in .*empty: expected model\.safetensors, model\.safetensors\.index\.json, or an ONNX export/);
  });

  it('an export-only dtype on a safetensors checkpoint fails, naming the dtypes built models take', async () => {
    await expect(ImageToText.fromPretrained(CHECKPOINT, { dtype: 'int8' })).rejects.toThrow(
      /dtype "int8" selects files of an ONNX export; .*vit-gpt2-a is loaded from safetensors, whose weights can be stored as "fp32", "fp16", "q8", "q4"/,
    );
  });
});

describe('dtype variants', () => {
  const DEIT_BERT = join(ONNX_FIXTURES, 'deit-bert');

  it('per-file dtypes pick the fp16 merged decoder next to the fp32 encoder', async () => {
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(DEIT_BERT), nodeRuntime, { dtype: { encoder_model: 'fp32', decoder_model_merged: 'fp16' } });
    try {
      expect(model.layout.encoder.path).toBe('onnx/encoder_model.onnx');
      expect(model.layout.decoder).toMatchObject({ kind: 'merged', merged: { path: 'onnx/decoder_model_merged_fp16.onnx', dtype: 'fp16' } });
    } finally {
      await model.dispose();
    }
  });

  it('fp32 falls back to the split decoders when there is no fp32 merged decoder', async () => {
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(DEIT_BERT), nodeRuntime);
    try {
      expect(model.layout.decoder).toMatchObject({ kind: 'split', first: { path: 'onnx/decoder_model.onnx' }, withPast: { path: 'onnx/decoder_with_past_model.onnx' } });
    } finally {
      await model.dispose();
    }
  });

  it("a lone decoder_model (Optimum's export without a cache) re-reads the sequence each step, with Python's ids", async () => {
    const ref = onnxReferences().find((r) => r.name === 'deit-bert')!;
    const dir = exportDir('no-cache', { 'encoder_model.onnx': join(DEIT_BERT, 'onnx', 'encoder_model.onnx'), 'decoder_model.onnx': join(DEIT_BERT, 'onnx', 'decoder_model.onnx') });
    for (const f of ['config.json', 'generation_config.json']) copyFileSync(join(DEIT_BERT, f), join(dir, f));
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    try {
      expect(model.layout.decoder.kind).toBe('no-cache');
      const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
      const input = { pixelValues: referencePixels(ref), modelGenerationConfig: modelGeneration };
      expect((await generate(model, input, { maxNewTokens: ref.max_new_tokens })).sequences).toEqual(ref.greedy);
      expect((await generate(model, input, { maxNewTokens: ref.max_new_tokens, numBeams: 3 })).sequences).toEqual(ref.beam.sequences);
    } finally {
      await model.dispose();
    }
  });

  it('a dtype without files fails listing the dtypes that exist', async () => {
    const q4 = await loadError(DEIT_BERT, { dtype: 'q4' });
    expect(q4.code).toBe('FILE_NOT_FOUND');
    expect(q4.message).toMatch(/has no onnx\/encoder_model_q4\.onnx for dtype "q4"; it has encoder_model for dtype "fp32"/);
    const q8 = await loadError(DEIT_BERT, { dtype: { encoder_model: 'fp32', decoder_model_merged: 'q8', decoder_model: 'q8' } });
    expect(q8.message).toMatch(/no decoder for dtype "q8": expected onnx\/decoder_model_merged_quantized\.onnx, or onnx\/decoder_model_quantized\.onnx .*it has decoder_model_merged for "fp16" and decoder_model for "fp32"/);
  });

  it('an unknown dtype, and transformers.js_config.dtype, are checked', async () => {
    const bad = await loadError(DEIT_BERT, { dtype: 'int3' });
    expect(bad.code).toBe('INVALID_OPTION');
    expect(bad.message).toContain('"fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"');
    // The checkpoint's own default applies when no option is given.
    const dir = exportDir('config-dtype', { 'encoder_model.onnx': join(DEIT_BERT, 'onnx', 'encoder_model.onnx'), 'decoder_model_merged_fp16.onnx': join(DEIT_BERT, 'onnx', 'decoder_model_merged_fp16.onnx') });
    const config = JSON.parse(readFileSync(join(DEIT_BERT, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, 'transformers.js_config': { dtype: { decoder_model_merged: 'fp16' } } }));
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    expect(model.layout.decoder).toMatchObject({ kind: 'merged', merged: { dtype: 'fp16' } });
    await model.dispose();
  });
});

describe('graphs that do not fit the layout', () => {
  /** A tiny decoder graph with the given inputs (logits = a constant of the right shape). */
  function decoderGraph(inputs: string[], outputs: string[] = ['logits']): Uint8Array {
    const g = new GraphBuilder('bad_decoder');
    for (const name of inputs) g.input(name, name === 'input_ids' ? 'int64' : 'float32', ['batch_size', 'sequence']);
    const zeros = g.constFloat([0, 0, 0], [1, 1, 3]);
    for (const name of outputs) g.output(name, zeros, 'float32', [1, 1, 3]);
    return g.build().model;
  }
  const encoder = join(EXPORT, 'onnx', 'encoder_model.onnx');

  it('unknown decoder inputs fail, listing what was found and what is expected', async () => {
    const dir = exportDir('unknown-inputs', { 'encoder_model.onnx': encoder, 'decoder_model_merged.onnx': decoderGraph(['input_ids', 'encoder_hidden_states', 'decoder_position_bias', 'past.0.key']) });
    const err = await loadError(dir);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('decoder_model_merged.onnx does not look like a decoder of the Optimum/transformers.js layout');
    expect(err.message).toContain('its inputs are ["input_ids", "encoder_hidden_states", "decoder_position_bias", "past.0.key"]');
    expect(err.message).toContain('"decoder_position_bias", "past.0.key" are unknown');
    expect(err.message).toContain('Expected "input_ids", cache inputs "past_key_values.*" (each with a matching "present.*" output), and optionally "encoder_hidden_states"');
  });

  it('a cache input without its present output fails naming both', async () => {
    const dir = exportDir('no-present', {
      'encoder_model.onnx': encoder,
      'decoder_model_merged.onnx': decoderGraph(['input_ids', 'past_key_values.0.key'], ['logits', 'present.0.value']),
    });
    const err = await loadError(dir);
    expect(err.message).toMatch(/cache input "past_key_values\.0\.key" has no matching output "present\.0\.key"; the cache outputs are \["present\.0\.value"\]/);
  });

  it('an encoder with other inputs fails, listing them', async () => {
    const dir = exportDir('bad-encoder', { 'encoder_model.onnx': decoderGraph(['input_ids']), 'decoder_model_merged.onnx': join(EXPORT, 'onnx', 'decoder_model_merged.onnx') });
    const err = await loadError(dir);
    expect(err.message).toMatch(/encoder_model\.onnx is not an image encoder of the Optimum\/transformers\.js layout: its inputs are \["input_ids"\] \(unexpected: "input_ids"\); expected "pixel_values"/);
  });

  it('external data files are found from the model itself, and a missing one is named', async () => {
    const out = join(work, 'ext');
    await cli(runExport, ['--model', fixturePath('models', 'vit-gpt2-b'), '--out', out, '--external-data', 'true']);
    const bytes = readFileSync(join(out, 'onnx', 'decoder_model_merged.onnx'));
    expect(externalDataLocations(new Uint8Array(bytes))).toEqual(['decoder_model_merged.onnx_data']);
    expect(externalDataLocations(new Uint8Array(readFileSync(join(EXPORT, 'onnx', 'decoder_model_merged.onnx'))))).toEqual([]);
    expect(() => externalDataLocations(new Uint8Array([0x3a, 0xff]), 'x.onnx')).toThrow(/x\.onnx is not a valid ONNX model/);
    rmSync(join(out, 'onnx', 'encoder_model.onnx_data'));
    const err = await loadError(out);
    expect(err.message).toMatch(/encoder_model\.onnx keeps weights in onnx\/encoder_model\.onnx_data, which is missing/);
  });

  it('a graph that onnxruntime fails to run is reported with the file (found by fuzz/onnx-export.test.ts)', async () => {
    // A decoder whose every run fails, as a damaged Reshape or Gather does at run time.
    let sessions = 0;
    const failingDecoder: Runtime = {
      ...nodeRuntime,
      createSession: async (...args: Parameters<Runtime['createSession']>) => {
        const session = await nodeRuntime.createSession(...args);
        if (++sessions === 1) return session;
        return new Proxy(session, {
          get: (target, key) => (key === 'run' ? () => Promise.reject(new Error('Reshape node: the dimension with value zero exceeds the dimension size')) : (Reflect.get(target, key, target) as unknown)),
        });
      },
    };
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(EXPORT), failingDecoder);
    const ref = onnxReferences().find((r) => r.name === 'vit-gpt2-a')!;
    try {
      const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
      const run = generate(model, { pixelValues: referencePixels(ref), modelGenerationConfig: modelGeneration }, { maxNewTokens: 2 });
      await expect(run).rejects.toThrow(VedError);
      await expect(run).rejects.toThrow(/vit-gpt2-a\/onnx\/decoder_model_merged\.onnx failed on a step of 4 row\(s\) after 0 position\(s\): Reshape node/);
    } finally {
      await model.dispose();
    }
  });

  it('a session that onnxruntime refuses is reported with the file', async () => {
    const dir = exportDir('garbage', { 'encoder_model.onnx': new Uint8Array([8, 10, 0x12, 1, 0x41]), 'decoder_model_merged.onnx': join(EXPORT, 'onnx', 'decoder_model_merged.onnx') });
    const failing: Runtime = { ...nodeRuntime, createSession: () => Promise.reject(new Error('protobuf parsing failed')) };
    await expect(OnnxExportModel.fromPretrained(new DirectoryFiles(dir), failing)).rejects.toThrow(/could not load .*garbage\/onnx\/encoder_model\.onnx: protobuf parsing failed/);
  });
});

describe('command line', () => {
  const ref = loadModelReference('vit-gpt2-a');
  const images = ref.json.images.map((p) => join(REPO_ROOT, p));

  it("ved export writes the layout, and ved caption --format onnx runs it with Python's ids", async () => {
    const out = join(work, 'cli-export');
    const printed = await cli(runExport, ['--model', CHECKPOINT, '--out', out]);
    expect(printed).toContain(`${out}/onnx/encoder_model.onnx\t`);
    expect(printed).toContain(`${out}/onnx/decoder_model_merged.onnx\t`);
    expect(printed).toContain(`${out}/tokenizer.json`);
    const lines = await cli(runCaption, [...images, '--model', out, '--format', 'onnx', '--dtype', 'fp32', '--max-new-tokens', String(ref.json.greedy.max_new_tokens), '--json']);
    const ids = lines.trim().split('\n').map((l) => JSON.parse(l).sequences[0].ids);
    expect(ids).toEqual(ref.json.greedy.sequences);
  });

  it('flags are checked', async () => {
    expect(formatOptionsFromFlags({ format: 'onnx', dtype: 'encoder_model=fp32,decoder_model_merged=q4' })).toEqual({
      format: 'onnx',
      dtype: { encoder_model: 'fp32', decoder_model_merged: 'q4' },
    });
    expect(() => formatOptionsFromFlags({ format: 'pt' })).toThrow(UsageError);
    expect(() => formatOptionsFromFlags({ dtype: 'q3' })).toThrow(/--dtype: "q3" is not one of fp32, fp16, q8/);
    expect(() => formatOptionsFromFlags({ dtype: 'encoder_model' })).toThrow(/not one of/);
    expect(() => formatOptionsFromFlags({ dtype: 'encoder_model=fp32,=q4' })).toThrow(/FILE=DTYPE pairs/);
    await expect(runExport(['--model', CHECKPOINT])).rejects.toThrow(/--out DIR is required/);
    await expect(runExport(['--model', CHECKPOINT, '--out', join(work, 'x'), '--external-data', 'maybe'])).rejects.toThrow(/--external-data must be true, false or auto/);
    await expect(runExport(['--model', CHECKPOINT, '--out', join(work, 'x'), '--cache-naming', 'gpt'])).rejects.toThrow(/--cache-naming must be decoder-only or seq2seq/);
  });
});
