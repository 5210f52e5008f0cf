/**
 * A training batch checked and turned into the training graph's inputs:
 * `pixel_values`, `labels` (-100 = ignored) and `decoder_input_ids`, which
 * default to the labels shifted right with the decoder start token (-100
 * replaced by the pad token), as transformers' `shift_tokens_right` makes them
 * in `VisionEncoderDecoderModel.forward`.
 */
import { VedError } from '../errors.js';
import type { Runtime, Tensor } from '../runtime.js';
import type { PixelBatch } from '../model/decoding.js';
import { IGNORE_INDEX, shiftTokensRight } from '../model/loss.js';
import type { RawConfig } from '../config/config-reader.js';

export interface TrainingBatch {
  /** What `model.encode` takes: [B, C, H, W] at the encoder's image size. */
  pixelValues: PixelBatch;
  /** Target ids [B, T], padded with -100. */
  labels: number[][];
  /** Decoder inputs [B, T]; default `shiftTokensRight(labels, pad_token_id, decoder_start_token_id)` as Python. */
  decoderInputIds?: number[][];
}

export interface BatchShape {
  channels: number;
  imageSize: [number, number];
  vocab: number;
  /** The model's config.json (top level), for the shift's token ids. */
  config: RawConfig;
  configFile: string;
}

export interface BatchFeeds {
  pixelValues: Tensor;
  decoderInputIds: Tensor;
  labels: Tensor;
  /** Labels that are not -100. */
  tokens: number;
}

function checkRows(name: string, rows: readonly (readonly number[])[], batch: number, length: number | undefined): number {
  if (!Array.isArray(rows) || rows.length !== batch) {
    throw new VedError('INVALID_INPUT', `${name} has ${Array.isArray(rows) ? rows.length : 'no'} rows, expected ${batch} (one per image).`);
  }
  const t = length ?? rows[0]?.length ?? 0;
  if (t === 0) throw new VedError('INVALID_INPUT', `${name} rows are empty; each row needs at least one token.`);
  rows.forEach((row, b) => {
    if (!Array.isArray(row) || row.length !== t) {
      throw new VedError('INVALID_INPUT', `${name}[${b}] has ${Array.isArray(row) ? row.length : 'no'} tokens, expected ${t} (pad labels with -100 to one length).`);
    }
  });
  return t;
}

export function batchFeeds(runtime: Runtime, batch: TrainingBatch, shape: BatchShape): BatchFeeds {
  const { pixelValues } = batch;
  const [b, c, h, w] = pixelValues?.dims ?? [];
  if (b === undefined || c !== shape.channels || h !== shape.imageSize[0] || w !== shape.imageSize[1]) {
    throw new VedError(
      'INVALID_INPUT',
      `pixelValues has shape [${pixelValues?.dims?.join(', ') ?? ''}], but training needs [batch, ${shape.channels}, ${shape.imageSize.join(', ')}] (the encoder's image size).`,
    );
  }
  if (!(b >= 1) || pixelValues.data.length !== b * c * h * w) {
    throw new VedError('INVALID_INPUT', `pixelValues holds ${pixelValues.data.length} values, expected ${b * c * h * w} for its dims.`);
  }
  const t = checkRows('labels', batch.labels, b, undefined);
  let tokens = 0;
  batch.labels.forEach((row, i) =>
    row.forEach((id, j) => {
      if (id === IGNORE_INDEX) return;
      if (!Number.isInteger(id) || id < 0 || id >= shape.vocab) {
        throw new VedError('INVALID_INPUT', `labels[${i}][${j}] is ${id}; expected a token id in [0, ${shape.vocab}) or -100 (ignored).`);
      }
      tokens++;
    }),
  );
  let inputs = batch.decoderInputIds;
  if (inputs === undefined) {
    for (const key of ['decoder_start_token_id', 'pad_token_id'] as const) {
      if (typeof shape.config[key] !== 'number') {
        throw new VedError(
          'INVALID_CONFIG',
          `${shape.configFile}: the top-level "${key}" is not set; it is needed to shift the labels into decoder inputs (set it on the VisionEncoderDecoder config, or pass decoderInputIds).`,
        );
      }
    }
    inputs = shiftTokensRight(batch.labels, shape.config.pad_token_id as number, shape.config.decoder_start_token_id as number);
  }
  checkRows('decoderInputIds', inputs, b, t);
  inputs.forEach((row, i) =>
    row.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= shape.vocab) {
        throw new VedError('INVALID_INPUT', `decoderInputIds[${i}][${j}] is ${id}; expected a token id in [0, ${shape.vocab}).`);
      }
    }),
  );
  const ids = (rows: readonly (readonly number[])[]) => BigInt64Array.from(rows.flat(), (v) => BigInt(v));
  return {
    pixelValues: runtime.tensor('float32', pixelValues.data, pixelValues.dims),
    decoderInputIds: runtime.tensor('int64', ids(inputs), [b, t]),
    labels: runtime.tensor('int64', ids(batch.labels), [b, t]),
    tokens,
  };
}
