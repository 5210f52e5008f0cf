/**
 * The files of an ONNX export of a ved model, in the layout transformers.js
 * and Optimum load: `onnx/encoder_model.onnx`, `onnx/decoder_model_merged.onnx`
 * (with `.onnx_data` files when weights go external), `config.json` and
 * `generation_config.json`. The backend writes them, with the processor and
 * tokenizer files copied from the checkpoint.
 */
import { isRecord, type RawConfig } from '../config/config-reader.js';
import type { Composition } from '../model/composition.js';
import { configJson, generationConfigFromModelConfig, generationConfigJson } from '../model/serialize.js';
import type { TensorSource } from '../safetensors/index.js';
import { withoutFilePaths } from '../safetensors/tensor-source.js';
import { WeightBinder } from '../weights/weight-binder.js';
import { VedError } from '../errors.js';
import { buildExportDecoder, buildExportEncoder, cacheNamingFor, type BuiltGraph, type CacheNaming } from './export-graphs.js';
import { assembleModel, weightBytes, type AssembledModel } from './graph-assembly.js';
import { DEFAULT_SUBFOLDER, ENCODER_STEM, MERGED_DECODER_STEM } from './layout.js';

export interface OnnxExportOptions {
  /**
   * Keep weights in `<file>.onnx_data` next to each graph: `true`, `false`, or
   * `'auto'` (default), which does so when a graph's weights pass 1.5 GB
   * (protobuf caps a serialized model at 2 GB).
   */
  externalData?: boolean | 'auto';
  /** Cache input names; default: as transformers.js names them for the decoder's model_type. */
  cacheNaming?: CacheNaming;
}

export interface OnnxExportFile {
  /** Path inside the export directory, e.g. `onnx/encoder_model.onnx`. */
  name: string;
  bytes: Uint8Array;
}

/** What an export needs from a model: its parts, every weight, and its generation config. */
export interface ExportSource {
  parts: Composition;
  weights: TensorSource;
  generationConfigJson?: Record<string, unknown> | undefined;
}

const AUTO_EXTERNAL_BYTES = 1.5 * 1024 ** 3;

export interface OnnxExportGraphs {
  /** `onnx/encoder_model.onnx` (and its `.onnx_data` when weights go external). */
  encoder: AssembledModel;
  /** `onnx/decoder_model_merged.onnx` (and its `.onnx_data`). */
  decoder: AssembledModel;
  cacheNaming: CacheNaming;
  /** transformers.js_config's `use_external_data_format` entries for the files whose weights went external. */
  externalFiles: string[];
}

/** Builds ved's encoder and merged decoder as ONNX graphs of the Optimum / transformers.js layout. */
export function exportOnnx(source: ExportSource, options: OnnxExportOptions = {}): OnnxExportGraphs {
  const { parts } = source;
  const mode = options.externalData ?? 'auto';
  if (mode !== true && mode !== false && mode !== 'auto') {
    throw new VedError('INVALID_OPTION', `option "externalData" must be true, false or "auto"; got ${JSON.stringify(mode)}.`);
  }
  const naming = options.cacheNaming ?? cacheNamingFor(parts.config.decoderType);
  if (naming !== 'decoder-only' && naming !== 'seq2seq') {
    throw new VedError('INVALID_OPTION', `option "cacheNaming" must be "decoder-only" or "seq2seq"; got ${JSON.stringify(naming)}.`);
  }
  // Weights as data, never as locations in the checkpoint's files: the export carries its own.
  const weights = new WeightBinder(withoutFilePaths(source.weights));
  const externalFiles: string[] = [];
  const assemble = (stem: string, graph: BuiltGraph): AssembledModel => {
    const fileName = `${stem}.onnx`;
    const goExternal = mode === true || (mode === 'auto' && weightBytes(graph.main, graph.branches) > AUTO_EXTERNAL_BYTES);
    if (goExternal) externalFiles.push(fileName);
    return assembleModel(graph.main, {
      ...(graph.branches !== undefined ? { branches: graph.branches } : {}),
      ...(goExternal ? { externalData: `${fileName}_data` } : {}),
    });
  };
  const encoder = assemble(ENCODER_STEM, buildExportEncoder(parts, weights));
  const decoder = assemble(MERGED_DECODER_STEM, buildExportDecoder(parts, weights, naming));
  return { encoder, decoder, cacheNaming: naming, externalFiles };
}

/**
 * Every file of the export except the processor and tokenizer files (which
 * the backend copies from the checkpoint): the two graphs (+ external data),
 * `config.json` and `generation_config.json`. This is what
 * `savePretrained(dir, { format: 'onnx' })` writes.
 */
export function writeOnnxExport(source: ExportSource, options: OnnxExportOptions = {}): OnnxExportFile[] {
  const graphs = exportOnnx(source, options);
  const files: OnnxExportFile[] = [];
  for (const [stem, graph] of [[ENCODER_STEM, graphs.encoder], [MERGED_DECODER_STEM, graphs.decoder]] as const) {
    files.push({ name: `${DEFAULT_SUBFOLDER}/${stem}.onnx`, bytes: graph.model });
    if (graph.data !== undefined) files.push({ name: `${DEFAULT_SUBFOLDER}/${stem}.onnx_data`, bytes: graph.data });
  }
  const config: RawConfig = { ...source.parts.config.raw, architectures: ['VisionEncoderDecoderModel'] };
  if (graphs.externalFiles.length > 0) {
    // transformers.js loads `<file>.onnx_data` only when the config says the file has one.
    const tjs = isRecord(config['transformers.js_config']) ? { ...config['transformers.js_config'] } : {};
    const previous = isRecord(tjs.use_external_data_format) ? tjs.use_external_data_format : {};
    tjs.use_external_data_format = { ...previous, ...Object.fromEntries(graphs.externalFiles.map((f) => [f, 1])) };
    config['transformers.js_config'] = tjs;
  }
  const text = new TextEncoder();
  files.push({ name: 'config.json', bytes: text.encode(configJson(config)) });
  files.push({ name: 'generation_config.json', bytes: text.encode(generationConfigJson(source.generationConfigJson ?? generationConfigFromModelConfig(config))) });
  return files;
}
