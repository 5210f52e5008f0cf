/**
 * Loading a model in either format, on any backend (files and runtime come
 * from the backend): safetensors (ved builds the
 * graphs) or an ONNX export in the Optimum / transformers.js layout. A
 * directory with both uses the safetensors unless `format: 'onnx'` is asked.
 * One `dtype` option serves both: built models quantize their weights on load
 * (`fp32`, `fp16`, `q8`, `q4`); exports pick the files of that variant
 * (transformers.js's names and suffixes, also per file).
 */
import {
  OnnxExportModel,
  VedError,
  VisionEncoderDecoderModel,
  WEIGHT_DTYPES,
  resolveModelFormat,
  type LoadOptions,
  type ModelFiles,
  type ModelFormat,
  type OnnxLoadOptions,
  type Runtime,
  type WeightDtype,
} from '@ved/core';

export interface FormatOptions {
  /** `'safetensors'` or `'onnx'`; default: safetensors when present, else the ONNX export. */
  format?: ModelFormat;
  /**
   * Built models: weight storage (`fp32`, `fp16`, `q8`, `q4`). ONNX exports: the file variant
   * (`fp32`, `fp16`, `q8`, `int8`, `uint8`, `q4`, `q4f16`, `bnb4`, or one per file).
   */
  dtype?: OnnxLoadOptions['dtype'];
  /** For ONNX exports: the folder of the .onnx files (default `onnx`). */
  subfolder?: string;
}

export type ModelLoadOptions = Omit<LoadOptions, 'dtype'> & FormatOptions;

export type LoadedModel = VisionEncoderDecoderModel | OnnxExportModel;

export async function loadModel(files: ModelFiles, runtime: Runtime, options: ModelLoadOptions = {}): Promise<LoadedModel> {
  const format = await resolveModelFormat(files, options.format, options.subfolder);
  const { dtype, format: _format, subfolder, ...load } = options;
  if (format === 'safetensors') {
    if (dtype !== undefined && (typeof dtype !== 'string' || !(WEIGHT_DTYPES as readonly string[]).includes(dtype))) {
      throw new VedError(
        'INVALID_OPTION',
        `dtype ${JSON.stringify(dtype)} selects files of an ONNX export; ${files.location} is loaded from safetensors, whose weights can be stored as ${WEIGHT_DTYPES.map((d) => JSON.stringify(d)).join(', ')}.`,
      );
    }
    return VisionEncoderDecoderModel.fromPretrained(files, runtime, { ...load, ...(dtype !== undefined ? { dtype: dtype as WeightDtype } : {}) });
  }
  return OnnxExportModel.fromPretrained(files, runtime, {
    ...(dtype !== undefined ? { dtype } : {}),
    ...(subfolder !== undefined ? { subfolder } : {}),
    ...(load.sessionOptions !== undefined ? { sessionOptions: load.sessionOptions } : {}),
  });
}
