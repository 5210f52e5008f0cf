/**
 * The files of an ONNX export in the Optimum / transformers.js layout
 * (transformers.js `src/models/session_config.js`, `src/utils/model-loader.js`,
 * `src/utils/dtypes.js`): `onnx/encoder_model{suffix}.onnx` and either
 * `onnx/decoder_model_merged{suffix}.onnx` (one decoder with a
 * `use_cache_branch` input) or Optimum's split pair
 * `onnx/decoder_model{suffix}.onnx` + `onnx/decoder_with_past_model{suffix}.onnx`
 * (a lone `decoder_model` runs without a cache). External data files are the
 * ones each model names.
 */
import { VedError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';
import { DTYPE_SUFFIX, EXPORT_DTYPES, dtypeFor, type DtypeOption, type ExportDtype } from './dtypes.js';
import { externalDataLocations } from './external-data.js';

export const ENCODER_STEM = 'encoder_model';
export const MERGED_DECODER_STEM = 'decoder_model_merged';
export const DECODER_STEM = 'decoder_model';
export const DECODER_WITH_PAST_STEM = 'decoder_with_past_model';
export const DEFAULT_SUBFOLDER = 'onnx';

export interface ExportFile {
  /** Path inside the model directory, e.g. `onnx/decoder_model_merged_q4.onnx`. */
  path: string;
  stem: string;
  dtype: ExportDtype;
}

export type DecoderFiles =
  | { kind: 'merged'; merged: ExportFile }
  | { kind: 'split'; first: ExportFile; withPast: ExportFile }
  | { kind: 'no-cache'; first: ExportFile };

export interface ExportLayout {
  subfolder: string;
  encoder: ExportFile;
  decoder: DecoderFiles;
}

export interface LayoutOptions {
  subfolder?: string;
  dtype?: DtypeOption;
  /** The checkpoint's own default (`transformers.js_config.dtype`). */
  configDtype?: DtypeOption;
}

const join = (subfolder: string, name: string) => (subfolder === '' ? name : `${subfolder}/${name}`);

function file(subfolder: string, stem: string, dtype: ExportDtype): ExportFile {
  return { path: join(subfolder, `${stem}${DTYPE_SUFFIX[dtype]}.onnx`), stem, dtype };
}

/** The dtypes for which `stem` exists in the directory. */
export async function availableDtypes(files: ModelFiles, subfolder: string, stem: string): Promise<ExportDtype[]> {
  const found: ExportDtype[] = [];
  for (const d of EXPORT_DTYPES) if (await files.exists(file(subfolder, stem, d).path)) found.push(d);
  return found;
}

/** Whether the directory holds an ONNX export (an encoder_model in any dtype). */
export async function hasOnnxExport(files: ModelFiles, subfolder = DEFAULT_SUBFOLDER): Promise<boolean> {
  return (await availableDtypes(files, subfolder, ENCODER_STEM)).length > 0;
}

function missing(files: ModelFiles, wanted: string, stem: string, dtype: ExportDtype, available: ExportDtype[]): VedError {
  const have = available.length > 0 ? `it has ${stem} for dtype ${available.map((d) => JSON.stringify(d)).join(', ')}` : `it has no ${stem}*.onnx`;
  return new VedError(
    'FILE_NOT_FOUND',
    `The ONNX export in ${files.location} has no ${wanted} for dtype ${JSON.stringify(dtype)}; ${have}. Pass a dtype that exists (option "dtype", CLI --dtype).`,
  );
}

export async function locateExport(files: ModelFiles, options: LayoutOptions = {}): Promise<ExportLayout> {
  const subfolder = options.subfolder ?? DEFAULT_SUBFOLDER;
  const pick = (stem: string) => file(subfolder, stem, dtypeFor(stem, options.dtype, options.configDtype));

  const encoder = pick(ENCODER_STEM);
  if (!(await files.exists(encoder.path))) {
    throw missing(files, encoder.path, ENCODER_STEM, encoder.dtype, await availableDtypes(files, subfolder, ENCODER_STEM));
  }

  const merged = pick(MERGED_DECODER_STEM);
  if (await files.exists(merged.path)) return { subfolder, encoder, decoder: { kind: 'merged', merged } };
  const first = pick(DECODER_STEM);
  const withPast = pick(DECODER_WITH_PAST_STEM);
  if (await files.exists(first.path)) {
    const decoder: DecoderFiles = (await files.exists(withPast.path)) ? { kind: 'split', first, withPast } : { kind: 'no-cache', first };
    return { subfolder, encoder, decoder };
  }
  const available = await availableDtypes(files, subfolder, MERGED_DECODER_STEM);
  const split = await availableDtypes(files, subfolder, DECODER_STEM);
  const have = [
    available.length > 0 ? `${MERGED_DECODER_STEM} for ${available.map((d) => JSON.stringify(d)).join(', ')}` : '',
    split.length > 0 ? `${DECODER_STEM} for ${split.map((d) => JSON.stringify(d)).join(', ')}` : '',
  ].filter((s) => s !== '');
  throw new VedError(
    'FILE_NOT_FOUND',
    `The ONNX export in ${files.location} has no decoder for dtype ${JSON.stringify(merged.dtype)}: expected ${merged.path}, or ${first.path} ` +
      `(with ${withPast.path}); ${have.length > 0 ? `it has ${have.join(' and ')}` : 'it has no decoder_model*.onnx'}.`,
  );
}

export interface LoadedOnnxFile {
  path: string;
  bytes: Uint8Array;
  /** External data files, as onnxruntime's `externalData` session option takes them. */
  externalData: Array<{ path: string; data: Uint8Array }>;
}

/** Reads a model file and the external data files it names (relative to the model's folder). */
export async function readOnnxFile(files: ModelFiles, path: string): Promise<LoadedOnnxFile> {
  const bytes = await files.readBytes(path);
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const externalData: Array<{ path: string; data: Uint8Array }> = [];
  for (const location of externalDataLocations(bytes, `${files.location}/${path}`)) {
    if (location.startsWith('/') || location.split('/').includes('..')) {
      throw new VedError('INVALID_INPUT', `${files.location}/${path} refers to external data outside its folder (${JSON.stringify(location)}).`);
    }
    const name = join(folder, location);
    if (!(await files.exists(name))) {
      throw new VedError('FILE_NOT_FOUND', `${files.location}/${path} keeps weights in ${name}, which is missing.`);
    }
    externalData.push({ path: location, data: await files.readBytes(name) });
  }
  return { path, bytes, externalData };
}
