/**
 * The `dtype` option of ONNX exports, as transformers.js maps it to file name
 * suffixes (`src/utils/dtypes.js`): `onnx/decoder_model_merged_q4.onnx` is the
 * `q4` variant of the merged decoder. A dtype may be given for all files or
 * per file (`{ encoder_model: 'fp32', decoder_model_merged: 'q4' }`).
 */
import { VedError } from '../errors.js';

export const EXPORT_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type ExportDtype = (typeof EXPORT_DTYPES)[number];

export const DTYPE_SUFFIX: Record<ExportDtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** One dtype for every file, or one per file stem (`encoder_model`, `decoder_model_merged`, …). */
export type DtypeOption = ExportDtype | Readonly<Record<string, ExportDtype>>;

export function isExportDtype(value: unknown): value is ExportDtype {
  return typeof value === 'string' && (EXPORT_DTYPES as readonly string[]).includes(value);
}

/** Checks a user- or config-supplied dtype option, naming where it came from. */
export function checkDtypeOption(value: unknown, where: string): DtypeOption | undefined {
  if (value === undefined || value === null) return undefined;
  const valid = EXPORT_DTYPES.map((d) => JSON.stringify(d)).join(', ');
  if (typeof value === 'string') {
    if (isExportDtype(value)) return value;
    throw new VedError('INVALID_OPTION', `${where}: dtype ${JSON.stringify(value)} is not one of ${valid}.`);
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [file, d] of Object.entries(value)) {
      if (!isExportDtype(d)) {
        throw new VedError('INVALID_OPTION', `${where}: dtype ${JSON.stringify(d)} for "${file}" is not one of ${valid}.`);
      }
    }
    return value as Record<string, ExportDtype>;
  }
  throw new VedError('INVALID_OPTION', `${where}: dtype must be one of ${valid}, or an object mapping file names to them; got ${JSON.stringify(value)}.`);
}

/** The dtype of file `stem` (e.g. `decoder_model_merged`): the option, then the config's default, then fp32. */
export function dtypeFor(stem: string, option: DtypeOption | undefined, configDefault: DtypeOption | undefined): ExportDtype {
  for (const source of [option, configDefault]) {
    if (source === undefined) continue;
    if (typeof source === 'string') return source;
    const d = source[stem] ?? source[`${stem}.onnx`];
    if (d !== undefined) return d;
  }
  return 'fp32';
}
