/**
 * The `--format` and `--dtype` flags of commands that load a model:
 * `--format safetensors|onnx`, `--dtype q8` or, per file,
 * `--dtype encoder_model=fp32,decoder_model_merged=q4`.
 */
import { EXPORT_DTYPES, type ExportDtype } from '@ved/core';
import { UsageError } from '../cli/args.js';
import type { FormatOptions } from './load.js';

export const FORMAT_FLAG_OPTIONS = {
  format: { type: 'string' },
  dtype: { type: 'string' },
} as const;

const isDtype = (v: string): v is ExportDtype => (EXPORT_DTYPES as readonly string[]).includes(v);

export function formatOptionsFromFlags(values: { format?: unknown; dtype?: unknown }): FormatOptions {
  const out: FormatOptions = {};
  if (values.format !== undefined) {
    if (values.format !== 'safetensors' && values.format !== 'onnx') {
      throw new UsageError(`--format must be safetensors or onnx, got ${JSON.stringify(values.format)}`);
    }
    out.format = values.format;
  }
  if (typeof values.dtype === 'string') {
    const raw = values.dtype;
    const bad = (v: string) => new UsageError(`--dtype: ${JSON.stringify(v)} is not one of ${EXPORT_DTYPES.join(', ')}`);
    if (!raw.includes('=')) {
      if (!isDtype(raw)) throw bad(raw);
      out.dtype = raw;
    } else {
      const perFile: Record<string, ExportDtype> = {};
      for (const part of raw.split(',')) {
        const [file, d] = part.split('=');
        if (file === undefined || file === '' || d === undefined) throw new UsageError(`--dtype: expected FILE=DTYPE pairs separated by commas, got ${JSON.stringify(part)}`);
        if (!isDtype(d)) throw bad(d);
        perFile[file] = d;
      }
      out.dtype = perFile;
    }
  }
  return out;
}
