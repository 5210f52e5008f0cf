/**
 * ved's exporter (`writeOnnxExport`, `ved export`): the fixture checkpoints
 * exported in the Optimum / transformers.js layout load in transformers.js
 * 4.3.1 and generate Python's greedy ids, and load back in ved with Python's
 * greedy and beam ids; weights can go to external data files.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OnnxExportModel,
  VisionEncoderDecoderConfig,
  cacheNamingFor,
  compose,
  isRecord,
  loadWeights,
  readJson,
  readOptionalJson,
  writeOnnxExport,
  type ExportSource,
  type OnnxExportOptions,
} from '@ved/core';
import { generate, modelGenerationConfig } from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { REPO_ROOT } from '../test-utils/fixtures.js';
import { writeExportDirectory } from './save-export.js';
import { onnxReferences, pixelRow, referencePixels, untilEos, type OnnxReference } from './onnx-fixtures.js';

/** Decoder families whose cache names transformers.js 4.3.1 knows (it has none for BERT/RoBERTa decoders). */
const TRANSFORMERS_JS_DECODERS = new Set(['gpt2', 'bart', 'mbart', 'trocr']);

const references = onnxReferences();
const work = mkdtempSync(join(tmpdir(), 'ved-export-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sourceDigest(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => /^model.*\.safetensors$/.test(n)).sort()) h.update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

async function exportSource(dir: string): Promise<ExportSource> {
  const files = new DirectoryFiles(dir);
  const raw = await readJson(files, 'config.json');
  const config = new VisionEncoderDecoderConfig(raw as Record<string, unknown>, `${dir}/config.json`);
  const generation = await readOptionalJson(files, 'generation_config.json');
  return { parts: await compose(config), weights: await loadWeights(files), generationConfigJson: isRecord(generation) ? generation : undefined };
}

/** Exports `ref`'s source checkpoint with ved into a fresh directory. */
async function exportWithVed(ref: OnnxReference, options: OnnxExportOptions = {}, tag = 'export'): Promise<string> {
  const source = join(REPO_ROOT, ref.source);
  // The expected ids were computed from the checkpoint as it was when fixtures/onnx was made.
  expect(sourceDigest(source), `${ref.source} changed since fixtures/onnx/${ref.name} was made: rerun tools/reference/make_onnx_fixtures.py`).toBe(
    (ref as unknown as { source_sha256: string }).source_sha256,
  );
  const out = join(work, `${ref.name}-${tag}`);
  await writeExportDirectory(out, writeOnnxExport(await exportSource(source), options), new DirectoryFiles(source));
  return out;
}

/** The decoder's model_type, from the export fixture's copy of config.json. */
function decoderTypeOf(ref: OnnxReference): string {
  return (JSON.parse(readFileSync(join(ref.dir, 'config.json'), 'utf8')) as { decoder: { model_type: string } }).decoder.model_type;
}

describe.each(references.map((r) => [r.name, r] as const))('ved export of %s', (_, ref) => {
  const decoderType = decoderTypeOf(ref);
  let dir: string;
  beforeAll(async () => {
    dir = await exportWithVed(ref);
  });

  it('writes the layout: onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx, configs, processor and tokenizer', () => {
    const names = readdirSync(dir).sort();
    expect(readdirSync(join(dir, 'onnx')).sort()).toEqual(['decoder_model_merged.onnx', 'encoder_model.onnx']);
    expect(names).toEqual(expect.arrayContaining(['config.json', 'generation_config.json', 'onnx']));
    for (const asset of ['preprocessor_config.json', 'tokenizer.json']) {
      if (readdirSync(join(REPO_ROOT, ref.source)).includes(asset)) expect(names).toContain(asset);
    }
  });

  it(`loads back in ved with Python's greedy and beam ids (${cacheNamingFor(decoderType)} cache names)`, async () => {
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    try {
      const pixelValues = referencePixels(ref);
      const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
      const greedy = await generate(model, { pixelValues, modelGenerationConfig: modelGeneration }, { maxNewTokens: ref.max_new_tokens });
      expect(greedy.sequences).toEqual(ref.greedy);
      const beam = await generate(model, { pixelValues, modelGenerationConfig: modelGeneration }, { maxNewTokens: ref.max_new_tokens, numBeams: ref.beam.num_beams });
      expect(beam.sequences).toEqual(ref.beam.sequences);
    } finally {
      await model.dispose();
    }
  });

  if (TRANSFORMERS_JS_DECODERS.has(decoderType)) {
    it("loads in transformers.js 4.3.1 and generates Python's greedy ids", async () => {
      const ids = await transformersJsGreedy(dir, ref);
      expect(ids).toEqual(ref.greedy.map((row) => untilEos(row, ref.eos_token_id)));
    });
  } else {
    it(`is refused by transformers.js 4.3.1, which has no cache names for "${decoderType}" decoders`, async () => {
      await expect(transformersJsGreedy(dir, ref)).rejects.toThrow(/Missing the following inputs: past_key_values/);
    });
  }
});

describe('external data', () => {
  const ref = references.find((r) => r.name === 'vit-gpt2-b')!;
  let dir: string;
  beforeAll(async () => {
    dir = await exportWithVed(ref, { externalData: true }, 'external');
  });

  it('puts the weights in .onnx_data files and says so in transformers.js_config', () => {
    expect(readdirSync(join(dir, 'onnx')).sort()).toEqual([
      'decoder_model_merged.onnx',
      'decoder_model_merged.onnx_data',
      'encoder_model.onnx',
      'encoder_model.onnx_data',
    ]);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({ use_external_data_format: { 'encoder_model.onnx': 1, 'decoder_model_merged.onnx': 1 } });
    // The protobufs hold the graph only.
    expect(readFileSync(join(dir, 'onnx', 'decoder_model_merged.onnx')).byteLength).toBeLessThan(
      readFileSync(join(dir, 'onnx', 'decoder_model_merged.onnx_data')).byteLength / 4,
    );
  });

  it("ved loads it (onnxruntime's externalData option) with Python's ids", async () => {
    const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
    try {
      const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
      const out = await generate(model, { pixelValues: referencePixels(ref), modelGenerationConfig: modelGeneration }, { maxNewTokens: ref.max_new_tokens });
      expect(out.sequences).toEqual(ref.greedy);
    } finally {
      await model.dispose();
    }
  });

  it("transformers.js loads it with Python's greedy ids", async () => {
    expect(await transformersJsGreedy(dir, ref)).toEqual(ref.greedy.map((row) => untilEos(row, ref.eos_token_id)));
  });
});

it('seq2seq-style cache names (the cross-attention cache fed back) also round-trip through ved', async () => {
  const ref = references.find((r) => r.name === 'vit-gpt2-a')!;
  const dir = await exportWithVed(ref, { cacheNaming: 'seq2seq' }, 'seq2seq');
  const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
  try {
    const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
    const out = await generate(model, { pixelValues: referencePixels(ref), modelGenerationConfig: modelGeneration }, { maxNewTokens: ref.max_new_tokens });
    expect(out.sequences).toEqual(ref.greedy);
  } finally {
    await model.dispose();
  }
});

/**
 * transformers.js greedy decoding, one image at a time: its pipeline does the
 * same, and its batched generate() neither pads finished rows nor sizes the
 * empty cache for batches (`src/pipelines/image-to-text.js`,
 * `src/models/modeling_utils.js`).
 */
async function transformersJsGreedy(dir: string, ref: OnnxReference): Promise<number[][]> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = `${dirname(dir)}/`;
  const model = await tjs.AutoModelForVision2Seq.from_pretrained(basename(dir), { dtype: 'fp32', device: 'cpu' });
  try {
    const pixels = referencePixels(ref);
    const rows: number[][] = [];
    for (let r = 0; r < pixels.dims[0]; r++) {
      const one = pixelRow(pixels, r);
      const out = (await model.generate({ pixel_values: new tjs.Tensor('float32', one.data, one.dims), max_new_tokens: ref.max_new_tokens })) as { tolist(): bigint[][] };
      rows.push(out.tolist()[0]!.map(Number));
    }
    return rows;
  } finally {
    await model.dispose();
  }
}
