/**
 * The work a run must do, counted from the model's config.json: multiply-adds
 * (FLOPs = 2 × MACs) and the bytes a decoding step must read (weights once per
 * step whatever the number of rows; the self- and cross-attention caches once
 * per row). With the machine's measured matmul and streaming rates these give
 * the floors of each benchmark task (floors.ts).
 *
 * Counted: every matrix product of the encoder (patch embedding, attention
 * projections, attention scores and sums, MLP) and of a decoder step with its
 * cross-attention keys/values computed once per image, and the LM head.
 * Layer norms, softmax, biases and activations are left out (a few percent).
 */

export interface EncoderShape {
  modelType: string;
  hidden: number;
  layers: number;
  intermediate: number;
  patches: number;
  /** Tokens per image (patches + class/distillation tokens). */
  tokens: number;
  /** Inputs of the patch embedding per patch (channels × patch²). */
  patchInputs: number;
}

export interface DecoderShape {
  modelType: string;
  hidden: number;
  layers: number;
  ffn: number;
  vocab: number;
  /** Width of the encoder states the cross-attention keys/values are projected from. */
  crossInput: number;
  /** Width of `enc_to_dec_proj`'s input when the model has one (else 0). */
  projection: number;
}

export interface ModelShape {
  encoder: EncoderShape;
  decoder: DecoderShape;
}

type Json = Record<string, unknown>;

function num(c: Json, keys: string[], fallback?: number): number {
  for (const k of keys) {
    const v = c[k];
    if (typeof v === 'number') return v;
  }
  if (fallback !== undefined) return fallback;
  throw new Error(`config field ${keys.join(' / ')} is missing (model_type ${String(c.model_type)})`);
}

function imageSide(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  throw new Error(`image_size ${JSON.stringify(v)} is not a number or a pair`);
}

/** Shapes of a VisionEncoderDecoder config.json (ViT/DeiT/BEiT-like encoders; GPT-2, TrOCR, BART/BERT-like decoders). */
export function modelShape(config: Json): ModelShape {
  const enc = config.encoder as Json;
  const dec = config.decoder as Json;
  const encType = String(enc.model_type);
  const [h, w] = imageSide(enc.image_size ?? 224);
  const patch = num(enc, ['patch_size'], 16);
  const channels = num(enc, ['num_channels'], 3);
  const hidden = num(enc, ['hidden_size']);
  const extraTokens = encType === 'deit' ? 2 : 1;
  const patches = Math.floor(h / patch) * Math.floor(w / patch);
  const encoder: EncoderShape = {
    modelType: encType,
    hidden,
    layers: num(enc, ['num_hidden_layers']),
    intermediate: num(enc, ['intermediate_size'], 4 * hidden),
    patches,
    tokens: patches + extraTokens,
    patchInputs: channels * patch * patch,
  };
  const decType = String(dec.model_type);
  const dHidden = num(dec, ['n_embd', 'd_model', 'hidden_size']);
  const crossHidden = typeof dec.cross_attention_hidden_size === 'number' ? dec.cross_attention_hidden_size : undefined;
  // VisionEncoderDecoderModel adds enc_to_dec_proj when the widths differ and the decoder does not take the encoder's width itself.
  const projection = crossHidden === undefined && hidden !== dHidden ? hidden : 0;
  const decoder: DecoderShape = {
    modelType: decType,
    hidden: dHidden,
    layers: num(dec, ['n_layer', 'decoder_layers', 'num_hidden_layers']),
    ffn: num(dec, ['n_inner', 'decoder_ffn_dim', 'intermediate_size'], 4 * dHidden),
    vocab: num(dec, ['vocab_size']),
    crossInput: crossHidden ?? dHidden,
    projection,
  };
  return { encoder, decoder };
}

/** FLOPs of the encoder for one image, without and with the cross-attention keys/values (and projection) ved computes there. */
export function encoderFlops(m: ModelShape): { encoder: number; crossKv: number } {
  const { tokens: n, patches, hidden: d, layers, intermediate, patchInputs } = m.encoder;
  const macs = patches * patchInputs * d + layers * (n * (4 * d * d + 2 * d * intermediate) + 2 * n * n * d);
  const dec = m.decoder;
  const crossKv = n * (dec.projection * dec.hidden + dec.layers * 2 * dec.crossInput * dec.hidden);
  return { encoder: 2 * macs, crossKv: 2 * crossKv };
}

/** Decoder weights read at every step (cross K/V projections and embeddings excluded), in parameters. */
export function decoderStepParams(m: ModelShape): number {
  const { hidden: d, layers, ffn, vocab } = m.decoder;
  return layers * (4 * d * d + 2 * d * d + 2 * d * ffn) + d * vocab;
}

/** FLOPs of one decoding step for one row that attends to `past` earlier tokens (itself included). */
export function decoderStepFlops(m: ModelShape, past: number): number {
  const d = m.decoder.hidden;
  const attention = m.decoder.layers * 2 * (past + m.encoder.tokens) * d;
  return 2 * (decoderStepParams(m) + attention);
}

/** Cache bytes one row reads in a step (self keys/values of `past` tokens, cross keys/values), fp32. */
export function cacheBytesPerRow(m: ModelShape, past: number): number {
  return m.decoder.layers * 2 * (past + m.encoder.tokens) * m.decoder.hidden * 4;
}

/** Bytes per weight parameter of a dtype's matrix weights (q8: int8 + per-column scale; q4: 4-bit + one fp32 scale per block of 32). */
export const WEIGHT_BYTES: Record<string, number> = { fp32: 4, fp16: 2, q8: 1, q4: 0.5 + 4 / 32 };

export interface Rates {
  /** Large fp32 matmul, GFLOP/s. */
  gflops: number;
  /** fp32 matrix-vector weight streaming, GB/s. */
  gbps: number;
}

export interface Floor {
  /** Seconds if only arithmetic at the matmul rate counted. */
  computeMs: number;
  /** Seconds if only reading weights and caches at the streaming rate counted. */
  memoryMs: number;
  /** The roofline: per step, the larger of the two, summed. */
  floorMs: number;
}

/** Encoder weights (matrix weights only), in parameters. */
export function encoderParams(m: ModelShape): number {
  const { hidden: d, layers, intermediate, patchInputs } = m.encoder;
  return patchInputs * d + layers * (4 * d * d + 2 * d * intermediate);
}

/** Cross keys/values projection weights (and enc_to_dec_proj), in parameters. */
export function crossKvParams(m: ModelShape): number {
  const dec = m.decoder;
  return dec.projection * dec.hidden + dec.layers * 2 * dec.crossInput * dec.hidden;
}

function encoderPart(m: ModelShape, rates: Rates, images: number, withCrossKv: boolean, dtype: string): { c: number; b: number } {
  const enc = encoderFlops(m);
  const flops = (enc.encoder + (withCrossKv ? enc.crossKv : 0)) * images;
  const params = encoderParams(m) + (withCrossKv ? crossKvParams(m) : 0);
  return { c: flops / (rates.gflops * 1e6), b: (params * (WEIGHT_BYTES[dtype] ?? 4)) / (rates.gbps * 1e6) };
}

/**
 * Floor of `generate` for `images` images with `rows` rows (images × beams)
 * and `newTokens` forced steps: the encoder (with the cross keys/values) plus
 * every step, each bound by the larger of its arithmetic and its memory traffic.
 */
export function generateFloor(m: ModelShape, rates: Rates, opts: { images: number; rows: number; newTokens: number; dtype?: string }): Floor {
  const dtype = opts.dtype ?? 'fp32';
  const enc = encoderPart(m, rates, opts.images, true, dtype);
  const weightBytes = decoderStepParams(m) * (WEIGHT_BYTES[dtype] ?? 4);
  let computeMs = enc.c;
  let memoryMs = enc.b;
  let floorMs = Math.max(enc.c, enc.b);
  for (let step = 1; step <= opts.newTokens; step++) {
    const c = (decoderStepFlops(m, step) * opts.rows) / (rates.gflops * 1e6);
    const b = (weightBytes + cacheBytesPerRow(m, step) * opts.rows) / (rates.gbps * 1e6);
    computeMs += c;
    memoryMs += b;
    floorMs += Math.max(c, b);
  }
  return { computeMs, memoryMs, floorMs };
}

/** Floor of the encoder alone for one image (ved's encoder also computes the cross keys/values: `withCrossKv`). */
export function encoderFloor(m: ModelShape, rates: Rates, withCrossKv: boolean, dtype = 'fp32'): Floor {
  const { c, b } = encoderPart(m, rates, 1, withCrossKv, dtype);
  return { computeMs: c, memoryMs: b, floorMs: Math.max(c, b) };
}
