/**
 * `VisionEncoderDecoderModel.from_encoder_decoder_pretrained` (transformers
 * `models/vision_encoder_decoder/modeling_vision_encoder_decoder.py`): an
 * encoder from a plain encoder checkpoint (or a classification checkpoint,
 * whose backbone prefix is stripped), a decoder from a causal-LM checkpoint (or
 * a base-model one, whose weights get the LM's prefix), config overrides for
 * either side, missing weights (cross-attention, heads) initialised as Python
 * does and reported.
 *
 * Python 5.18 crashes here for GPT-2, BART and TrOCR decoders (it reads
 * `is_decoder`/`add_cross_attention` that their configs do not declare); ved
 * implements the intended behaviour: a missing flag reads as false and is set.
 */
import { VedError } from '../errors.js';
import { isRecord, type RawConfig } from '../config/config-reader.js';
import { VisionEncoderDecoderConfig } from '../config/vision-encoder-decoder-config.js';
import { readJson, type ModelFiles } from '../io/model-files.js';
import type { TensorSource } from '../safetensors/index.js';
import { SeededRandom } from '../random/seeded-random.js';
import { TensorUnion, type Mount } from '../weights/in-memory-tensors.js';
import { initializeWeights } from '../weights/initialize.js';
import type { WeightSpec } from '../weights/weight-binder.js';
import { compose, type Composition } from './composition.js';
import { checkModelSize } from './size-check.js';
import { modelWeightSpecs, PROJECTION } from './weight-specs.js';
import { loadWeights } from './weights-loader.js';

export interface ComposeOptions {
  /** Overrides of the encoder config (Python's `encoder_*` kwargs, without the prefix). */
  encoder?: RawConfig;
  /** Overrides of the decoder config (Python's `decoder_*` kwargs). */
  decoder?: RawConfig;
  /** Top-level config fields (Python's un-prefixed kwargs, e.g. `pad_token_id`). */
  config?: RawConfig;
  /** Seed of the generator for newly initialised weights (default 0). */
  seed?: number;
  /** Called once with the list of newly initialised weights (default: one console warning). */
  onNewWeights?: (names: string[]) => void;
  /** The memory the weights must fit in (the runtime's `memoryBytes`): a config implying more is `MODEL_TOO_LARGE` before anything is read or allocated. */
  memoryBytes?: number;
}

export interface ComposedWeights {
  config: VisionEncoderDecoderConfig;
  parts: Composition;
  weights: TensorSource;
  /** Weights absent from both checkpoints, created with the architecture's init rules. */
  newlyInitialized: string[];
}

async function readSideConfig(files: ModelFiles, side: 'encoder' | 'decoder'): Promise<RawConfig> {
  const raw = await readJson(files, 'config.json');
  if (!isRecord(raw) || typeof raw.model_type !== 'string') {
    throw new VedError('INVALID_CONFIG', `${files.location}/config.json must be an object with a "model_type" (the ${side} checkpoint's config).`);
  }
  if (raw.model_type === 'vision-encoder-decoder') {
    throw new VedError('INVALID_CONFIG', `${files.location} holds a composed vision-encoder-decoder model; pass a plain ${side} checkpoint.`);
  }
  return raw;
}

/**
 * Where the architecture's weights sit inside a checkpoint: identity, the
 * base-model form without the LM prefix, or behind a wrapper prefix (e.g.
 * `vit.` of ViTForImageClassification).
 */
function findMount(source: TensorSource, specs: readonly WeightSpec[], basePrefix: string | undefined, to: string, location: string, modelType: string): Mount {
  const wanted = new Set(specs.map((s) => to + s.name));
  const filter = (name: string) => wanted.has(name);
  const probe = specs.map((s) => s.name);
  const hits = (from: string, add: string) => probe.filter((n) => n.startsWith(add) && source.has(from + n.slice(add.length))).length;
  const candidates: Array<{ from: string; add: string }> = [{ from: '', add: '' }];
  if (basePrefix) candidates.push({ from: '', add: basePrefix });
  // A wrapper prefix: the part of a checkpoint name before a spec name it ends with.
  for (const spec of probe.slice(0, 3)) {
    for (const name of source.names()) {
      if (name.endsWith(`.${spec}`)) candidates.push({ from: name.slice(0, name.length - spec.length), add: '' });
    }
  }
  let best: { from: string; add: string; score: number } | undefined;
  for (const c of candidates) {
    const score = hits(c.from, c.add);
    if (score > 0 && (best === undefined || score > best.score)) best = { ...c, score };
  }
  if (best === undefined) {
    throw new VedError(
      'MISSING_WEIGHT',
      `The checkpoint in ${location} holds none of the weights of a "${modelType}" model (expected names like "${probe[0] ?? ''}"); is it the right checkpoint?`,
    );
  }
  return { source, from: best.from, to: to + best.add, filter };
}

export async function composeFromPretrained(encoderFiles: ModelFiles, decoderFiles: ModelFiles, options: ComposeOptions = {}): Promise<ComposedWeights> {
  const encoderRaw = { ...(await readSideConfig(encoderFiles, 'encoder')), ...options.encoder };
  if (encoderRaw.is_decoder === true || encoderRaw.add_cross_attention === true) {
    encoderRaw.is_decoder = false;
    encoderRaw.add_cross_attention = false;
  }
  const decoderRaw = { ...(await readSideConfig(decoderFiles, 'decoder')), ...options.decoder };
  const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(encoderRaw, decoderRaw, options.config ?? {}, {
    encoder: `${encoderFiles.location}/config.json (the encoder checkpoint)`,
    decoder: `${decoderFiles.location}/config.json (the decoder checkpoint)`,
  });
  const parts = await compose(config);
  // Before any weight is read or initialised: sizes the overrides imply may not fit (issue 19 §4).
  checkModelSize(parts, options.memoryBytes);

  const encoderSpecs = parts.encoder.weights(parts.encoderConfig);
  const decoderSpecs = parts.decoder.weights(parts.decoderConfig);
  const [encoderWeights, decoderWeights] = await Promise.all([loadWeights(encoderFiles), loadWeights(decoderFiles)]);
  const mounts = [
    findMount(encoderWeights, encoderSpecs, undefined, 'encoder.', encoderFiles.location, config.encoderType),
    findMount(decoderWeights, decoderSpecs, parts.decoder.basePrefix, 'decoder.', decoderFiles.location, config.decoderType),
  ];
  // A tied head that the decoder checkpoint stores explicitly is kept (`PreTrainedModel.tie_weights` in `modeling_utils.py`).
  for (const head of Object.keys(parts.decoder.tiedWeights?.(parts.decoderConfig) ?? {})) {
    if (decoderWeights.has(head)) mounts.push({ source: decoderWeights, from: head, to: `decoder.${head}` });
  }
  const loaded = new TensorUnion(mounts);
  const missing = modelWeightSpecs(parts).filter((s) => !loaded.has(s.name));
  const fresh = initializeWeights(missing, '', new SeededRandom(options.seed ?? 0));
  const weights = new TensorUnion([
    { source: loaded, from: '', to: '' },
    { source: fresh, from: '', to: '' },
  ]);
  // enc_to_dec_proj belongs to neither checkpoint; Python does not report it either.
  const newlyInitialized = missing.map((s) => s.name).filter((n) => !n.startsWith(`${PROJECTION}.`));
  if (newlyInitialized.length > 0) {
    const report =
      options.onNewWeights ??
      ((names: string[]) =>
        console.warn(
          `Some weights of VisionEncoderDecoderModel were not in the checkpoints (${encoderFiles.location}, ${decoderFiles.location}) and are newly initialized: ${names.join(', ')}. You should train the model before using it.`,
        ));
    report(newlyInitialized);
  }
  return { config, parts, weights, newlyInitialized };
}
