/**
 * A VisionEncoderDecoder model run from an ONNX export in the Optimum /
 * transformers.js layout (`onnx/encoder_model.onnx` +
 * `onnx/decoder_model_merged.onnx`, or the split decoders), behind the same
 * `EncoderDecoderLM` interface as models ved builds, so generation,
 * processors and the pipeline work unchanged. Backend-agnostic: sessions
 * come from the `Runtime`, files from `ModelFiles`.
 */
import { VedError } from '../errors.js';
import { isRecord } from '../config/config-reader.js';
import { VisionEncoderDecoderConfig } from '../config/vision-encoder-decoder-config.js';
import { readJson, readOptionalJson, type ModelFiles } from '../io/model-files.js';
import type { InferenceSession, Runtime, Tensor } from '../runtime.js';
import type { DecodingSession, EncodedImages, EncoderDecoderLM, PixelBatch, StepLogits } from '../model/decoding.js';
import { crossEntropyLoss, shiftTokensRight } from '../model/loss.js';
import type { ForwardInputs, ForwardOutput } from '../model/vision-encoder-decoder-model.js';
import { checkDtypeOption, type DtypeOption } from './dtypes.js';
import { ExportDecodingSession, type DecoderGraph, type DecoderRunners } from './exported-decoding.js';
import { locateExport, readOnnxFile, type ExportLayout } from './layout.js';
import { checkSplitDecoders, describeDecoder, describeEncoder, type EncoderSignature } from './signature.js';
import { floatTensor, int64Tensor } from './tensors.js';
import { checkLabels, disposedError, type DecoderLimits } from '../model/decoder-limits.js';
import { getDecoder } from '../registry/registry.js';

/** The decoder's position limit from its plugin, when one is installed for its `model_type` (exports run without plugins). */
async function pluginMaxPositions(config: VisionEncoderDecoderConfig): Promise<number | undefined> {
  try {
    const plugin = await getDecoder(config.decoderType);
    return plugin.maxPositions?.(plugin.parseConfig(config.decoder, config.sideWhere('decoder')));
  } catch {
    return undefined; // no plugin (or a config it cannot read): the graph itself is the only limit
  }
}

export interface OnnxLoadOptions {
  /** Which variant of the files to load (`fp32`, `fp16`, `q8`, … or one per file); default: `transformers.js_config.dtype`, else fp32. */
  dtype?: DtypeOption;
  /** Folder of the .onnx files inside the model directory (default `onnx`). */
  subfolder?: string;
  sessionOptions?: InferenceSession.SessionOptions;
}

class ExportEncodedImages implements EncodedImages {
  constructor(
    readonly batchSize: number,
    /** The encoder's `last_hidden_state` [B, N, H], in the encoder's output type. */
    readonly lastHiddenState: Tensor,
  ) {}
}

/** Number of heads and head size from the decoder config, for caches whose graph leaves them symbolic. */
function cacheFallback(decoder: Record<string, unknown>): { heads?: number; headDim?: number } {
  const first = (...keys: string[]) => keys.map((k) => decoder[k]).find((v): v is number => typeof v === 'number');
  const heads = first('n_head', 'num_attention_heads', 'decoder_attention_heads', 'num_heads');
  const hidden = first('n_embd', 'hidden_size', 'd_model');
  return {
    ...(heads !== undefined ? { heads } : {}),
    ...(heads !== undefined && hidden !== undefined ? { headDim: hidden / heads } : {}),
  };
}

export class OnnxExportModel implements EncoderDecoderLM {
  /** Tokens the decoder's position table can embed, from the decoder plugin when installed. */
  maxPositions: number | undefined;
  private disposing: Promise<void> | undefined;

  private constructor(
    readonly config: VisionEncoderDecoderConfig,
    /** The export's `generation_config.json`, if it has one. */
    readonly generationConfigJson: Record<string, unknown> | undefined,
    /** Which files were loaded. */
    readonly layout: ExportLayout,
    private readonly runtime: Runtime,
    private readonly encoder: { session: InferenceSession; signature: EncoderSignature; where: string },
    private readonly decoder: DecoderRunners,
  ) {}

  /** Loads `config.json`, `generation_config.json` and the export's encoder and decoder graphs. */
  static async fromPretrained(files: ModelFiles, runtime: Runtime, options: OnnxLoadOptions = {}): Promise<OnnxExportModel> {
    const raw = await readJson(files, 'config.json');
    if (!isRecord(raw)) throw new VedError('INVALID_CONFIG', `${files.location}/config.json must hold a JSON object.`);
    const config = new VisionEncoderDecoderConfig(raw, `${files.location}/config.json`);
    const generation = await readOptionalJson(files, 'generation_config.json');
    const tjs = isRecord(raw['transformers.js_config']) ? raw['transformers.js_config'] : {};
    const layout = await locateExport(files, {
      ...(options.subfolder !== undefined ? { subfolder: options.subfolder } : {}),
      ...(options.dtype !== undefined ? { dtype: checkDtypeOption(options.dtype, 'option "dtype"') } : {}),
      ...(tjs.dtype !== undefined ? { configDtype: checkDtypeOption(tjs.dtype, `${config.fileName} "transformers.js_config.dtype"`) } : {}),
    });

    const open = async (path: string): Promise<{ session: InferenceSession; where: string }> => {
      const file = await readOnnxFile(files, path);
      const where = `${files.location}/${path}`;
      const sessionOptions = file.externalData.length > 0 ? { ...options.sessionOptions, externalData: file.externalData } : options.sessionOptions;
      try {
        return { session: await runtime.createSession(file.bytes, sessionOptions), where };
      } catch (cause) {
        throw new VedError('RUNTIME', `${runtime.name} could not load ${where}: ${(cause as Error).message}`, { cause });
      }
    };
    const graph = async (path: string): Promise<DecoderGraph> => {
      const { session, where } = await open(path);
      return { session, signature: describeDecoder(session, where) };
    };

    const enc = await open(layout.encoder.path);
    const encoder = { ...enc, signature: describeEncoder(enc.session, enc.where) };
    let decoder: DecoderRunners;
    const d = layout.decoder;
    if (d.kind === 'merged') {
      const merged = await graph(d.merged.path);
      decoder = { first: merged, later: merged };
    } else if (d.kind === 'split') {
      const [first, later] = await Promise.all([graph(d.first.path), graph(d.withPast.path)]);
      checkSplitDecoders(first.signature, later.signature);
      decoder = { first, later };
    } else {
      decoder = { first: await graph(d.first.path) };
    }
    if (decoder.first.signature.cache.length === 0 && decoder.later === decoder.first) {
      decoder = { first: decoder.first }; // a merged graph without cache inputs re-reads the sequence
    }
    const model = new OnnxExportModel(config, isRecord(generation) ? generation : undefined, layout, runtime, encoder, decoder);
    model.maxPositions = await pluginMaxPositions(config);
    return model;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.disposing !== undefined;
  }

  private assertLive(what: string): void {
    if (this.disposing !== undefined) throw disposedError(what);
  }

  private get limits(): DecoderLimits {
    let vocabSize = Number.POSITIVE_INFINITY; // unknown: only negative ids are refused
    try {
      vocabSize = this.vocabSize;
    } catch {
      // neither the graph nor the config gives it
    }
    return { vocabSize, maxPositions: this.maxPositions, where: this.config.fileName };
  }

  get encoderModelType(): string {
    return this.config.encoderType;
  }

  get decoderModelType(): string {
    return this.config.decoderType;
  }

  get vocabSize(): number {
    const fromGraph = this.decoder.first.signature.vocabSize;
    if (fromGraph !== undefined) return fromGraph;
    const v = this.config.decoder.vocab_size;
    if (typeof v !== 'number') throw new VedError('INVALID_CONFIG', `${this.config.fileName}: "decoder.vocab_size" is missing and the decoder graph leaves it open.`);
    return v;
  }

  /** The `[height, width]` the encoder graph fixes, if it does. */
  get imageSize(): [number, number] | undefined {
    const [, , h, w] = this.encoder.signature.pixelDims;
    return typeof h === 'number' && typeof w === 'number' ? [h, w] : undefined;
  }

  async encode(pixelValues: PixelBatch): Promise<ExportEncodedImages> {
    this.assertLive('encode()');
    const { pixelDims, pixelType, pixelMask } = this.encoder.signature;
    const [batch, , height, width] = pixelValues.dims;
    const wrong = pixelDims.length === 4 && pixelDims.some((d, i) => i > 0 && typeof d === 'number' && d !== pixelValues.dims[i]);
    if (wrong) {
      throw new VedError(
        'INVALID_INPUT',
        `pixel_values has shape [${pixelValues.dims.join(', ')}], but ${this.encoder.where} expects [${pixelDims.map((d) => (typeof d === 'number' ? d : 'batch')).join(', ')}].`,
      );
    }
    if (pixelValues.data.length !== pixelValues.dims.reduce((a, b) => a * b, 1)) {
      throw new VedError('INVALID_INPUT', `pixel_values holds ${pixelValues.data.length} values, expected ${pixelValues.dims.join('×')}.`);
    }
    const feeds: Record<string, Tensor> = { pixel_values: floatTensor(this.runtime, pixelType, pixelValues.data, pixelValues.dims) };
    if (pixelMask) feeds.pixel_mask = int64Tensor(this.runtime, new Array<number>(batch * height * width).fill(1), [batch, height, width]);
    let out;
    this.runtime.reclaimOutputs?.();
    try {
      out = await this.encoder.session.run(feeds);
    } catch (cause) {
      if (this.disposed) throw disposedError('encode()'); // disposed while the encoder ran
      throw new VedError('RUNTIME', `${this.encoder.where} failed on pixel_values [${pixelValues.dims.join(', ')}]: ${(cause as Error).message}`, { cause });
    }
    return new ExportEncodedImages(batch, out.last_hidden_state!);
  }

  startDecoding(encoded: EncodedImages, rowToImage: readonly number[]): DecodingSession {
    this.assertLive('startDecoding()');
    if (!(encoded instanceof ExportEncodedImages)) throw new VedError('INVALID_INPUT', "startDecoding needs the result of this model's encode().");
    for (const r of rowToImage) {
      if (!Number.isInteger(r) || r < 0 || r >= encoded.batchSize) {
        throw new VedError('INVALID_INPUT', `Row maps to image ${r}, but only ${encoded.batchSize} images were encoded.`);
      }
    }
    return new ExportDecodingSession(
      this.runtime,
      this.decoder,
      { hidden: encoded.lastHiddenState, images: encoded.batchSize },
      [...rowToImage],
      cacheFallback(this.config.decoder),
      { limits: this.limits, isDisposed: () => this.disposed },
    );
  }

  /** Teacher-forced logits [B, T, V] for `decoderInputIds` (one pass from an empty cache). */
  async logits(pixelValues: PixelBatch, decoderInputIds: readonly (readonly number[])[], attentionMask?: readonly (readonly number[])[]): Promise<StepLogits> {
    const session = this.startDecoding(await this.encode(pixelValues), decoderInputIds.map((_, i) => i));
    try {
      return await session.step(decoderInputIds, { allPositions: true, ...(attentionMask ? { attentionMask } : {}) });
    } finally {
      session.dispose();
    }
  }

  /** As `VisionEncoderDecoderModel.forward`: logits and, with labels (shifted right into decoder inputs), the loss. */
  async forward(inputs: ForwardInputs): Promise<ForwardOutput> {
    this.assertLive('forward()');
    if (inputs.labels !== undefined) checkLabels(inputs.labels, this.limits);
    let decoderInputIds = inputs.decoderInputIds;
    if (decoderInputIds === undefined) {
      if (inputs.labels === undefined) throw new VedError('INVALID_INPUT', 'forward() needs labels or decoderInputIds.');
      const { decoder_start_token_id: start, pad_token_id: pad } = this.config.raw;
      if (typeof start !== 'number' || typeof pad !== 'number') {
        throw new VedError(
          'INVALID_CONFIG',
          `${this.config.fileName}: the top-level "${typeof start !== 'number' ? 'decoder_start_token_id' : 'pad_token_id'}" is not set; it is needed to shift the labels into decoder inputs.`,
        );
      }
      decoderInputIds = shiftTokensRight(inputs.labels, pad, start);
    }
    const logits = await this.logits(inputs.pixelValues, decoderInputIds, inputs.decoderAttentionMask);
    return inputs.labels === undefined ? { logits } : { loss: crossEntropyLoss(logits, inputs.labels), logits };
  }

  /** Releases the sessions. Idempotent; any later call on the model or its decoding sessions is a `DISPOSED` error. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      const sessions = new Set([this.encoder.session, this.decoder.first.session, this.decoder.later?.session]);
      await Promise.all([...sessions].map((s) => s?.release()));
    })();
    return this.disposing;
  }
}
