/**
 * The flags of the commands that load a model and read images (`caption`,
 * `eval`, `loss`): the decompression-bomb limit and strict loading, with their
 * conversion to `ImageToText.fromPretrained` options.
 */
import { DEFAULT_MAX_IMAGE_PIXELS } from '@ved/core';
import { UsageError, type FlagTable } from './args.js';

export const HARDENING_FLAGS = {
  'max-image-pixels': {
    type: 'string',
    metavar: 'N|none',
    group: 'input limits',
    help:
      `refuse images whose header declares more than N pixels, before decoding them (default ${DEFAULT_MAX_IMAGE_PIXELS}, ` +
      "Pillow's DecompressionBombError limit; 'none': no limit)",
  },
  strict: {
    type: 'boolean',
    group: 'model',
    help: "refuse a checkpoint holding tensors the model does not use (Python's unexpected keys), instead of a warning on stderr",
  },
} as const satisfies FlagTable;

export interface HardeningOptions {
  maxImagePixels?: number | null;
  strict?: boolean;
}

/** `--max-image-pixels N|none` and `--strict` as load options. */
export function hardeningOptions(values: { 'max-image-pixels'?: string | undefined; strict?: boolean | undefined }): HardeningOptions {
  const out: HardeningOptions = {};
  const raw = values['max-image-pixels'];
  if (raw !== undefined) {
    if (raw === 'none') out.maxImagePixels = null;
    else {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isSafeInteger(n) || n < 1) {
        throw new UsageError(`--max-image-pixels must be a positive integer or "none", got ${JSON.stringify(raw)}`);
      }
      out.maxImagePixels = n;
    }
  }
  if (values.strict === true) out.strict = true;
  return out;
}
