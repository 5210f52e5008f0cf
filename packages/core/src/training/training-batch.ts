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
import { checkLabels, isTokenId, tokenOutOfRange } from '../model/decoder-limits.js';
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
  /** Tokens the decoder's position table can embed (undefined: any length). */
  maxPositions: number | undefined;
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
  // Ids in the vocabulary or -100, no more positions than the table holds (TOKEN_OUT_OF_RANGE, SEQUENCE_TOO_LONG).
  checkLabels(batch.labels, { vocabSize: shape.vocab, maxPositions: shape.maxPositions, where: shape.configFile });
  let tokens = 0;
  for (const row of batch.labels) for (const id of row) if (id !== IGNORE_INDEX) tokens++;
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
      if (!isTokenId(id, shape.vocab)) throw tokenOutOfRange(`decoderInputIds[${i}][${j}]`, id, shape.vocab, shape.configFile);
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
