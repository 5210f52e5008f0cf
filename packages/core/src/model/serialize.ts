/**
 * The files of `save_pretrained`: `config.json`, `generation_config.json` and
 * `model.safetensors` (or shards plus `model.safetensors.index.json`), with
 * Python's legacy tensor names and tied weights left out as Python leaves
 * them out. Writing them to disk atomically is the backend's job.
 */
import { isRecord, type RawConfig } from '../config/config-reader.js';
import { PYTHON_FLOAT_FALLBACK, PYTHON_FLOAT_FIELDS, PYTHON_GENERATION_FLOATS } from '../config/python-floats.js';
import { dumpsPythonJson, joinBytes, planShards, safetensorsParts, serializeShardIndex, type TensorSource, type TensorToSave } from '../safetensors/index.js';
import type { Composition } from './composition.js';
import { modelWeightSpecs } from './weight-specs.js';

export interface SaveOptions {
  /** Shard above this size (bytes or a string like "5GB", "200MB"); default "5GB" as transformers. */
  maxShardSize?: number | string;
}

export interface SavedFile {
  name: string;
  /** The file's bytes (for a file made of `parts`, joined when read: each read makes a new copy). */
  readonly bytes: Uint8Array;
  /**
   * The file as pieces to write one after the other, when it has them: a weights file's header, then
   * views of its tensors' memory. A writer that writes them in turn never holds the whole file (913 MiB
   * more for ViT-B/16 + GPT-2's weights, twice that for AdamW's state).
   */
  readonly parts?: readonly Uint8Array[];
}

/** A `SavedFile` made of `parts` (see `SavedFile.parts`); its `bytes` are joined only when read. */
export function partsFile(name: string, parts: readonly Uint8Array[]): SavedFile {
  return {
    name,
    parts,
    get bytes(): Uint8Array {
      return joinBytes(parts);
    },
  };
}

/** The size of a saved file in bytes, without joining its parts. */
export function savedFileSize(file: SavedFile): number {
  return file.parts === undefined ? file.bytes.byteLength : file.parts.reduce((n, p) => n + p.byteLength, 0);
}

/**
 * A config as transformers writes it (`PreTrainedConfig.to_json_string`: `json.dumps(indent=2,
 * sort_keys=True)` and a newline), each field Python holds as a float written as one (`"mlp_ratio": 4.0`,
 * `"decoder_layerdrop": 0.0`): transformers 5.18's strict config classes refuse an int there, and JSON
 * read into JavaScript has lost the difference. The fields are looked up by each object's `model_type`.
 */
export function configJson(value: unknown): string {
  return `${dumpsPythonJson(value, 2, { floatKeys: configFloatKeys })}\n`;
}

/** `generation_config.json` as `GenerationConfig.to_json_string` writes it (its float options as floats). */
export function generationConfigJson(value: unknown): string {
  return `${dumpsPythonJson(value, 2, { floatKeys: (o) => (o === value ? GENERATION_FLOATS : undefined) })}\n`;
}

const GENERATION_FLOATS: ReadonlySet<string> = new Set(PYTHON_GENERATION_FLOATS);
const FALLBACK_FLOATS: ReadonlySet<string> = new Set(PYTHON_FLOAT_FALLBACK);
const floatsByType = new Map(Object.entries(PYTHON_FLOAT_FIELDS).map(([type, names]) => [type, new Set(names) as ReadonlySet<string>]));

function configFloatKeys(object: Readonly<Record<string, unknown>>): ReadonlySet<string> | undefined {
  const type = object.model_type;
  return typeof type === 'string' ? (floatsByType.get(type) ?? FALLBACK_FLOATS) : undefined;
}

/** Generation keys that `GenerationConfig.from_model_config` carries over from a config. */
const GENERATION_KEYS = [
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'decoder_start_token_id',
  'forced_bos_token_id',
  'forced_eos_token_id',
  'max_length',
  'min_length',
  'do_sample',
  'early_stopping',
  'num_beams',
  'temperature',
  'top_k',
  'top_p',
  'typical_p',
  'repetition_penalty',
  'length_penalty',
  'no_repeat_ngram_size',
  'bad_words_ids',
  'num_return_sequences',
  'suppress_tokens',
  'begin_suppress_tokens',
];

/** The generation_config.json Python writes for a model without one: top level first, then the decoder's. */
export function generationConfigFromModelConfig(config: RawConfig): RawConfig {
  const out: RawConfig = { _from_model_config: true };
  const decoder = isRecord(config.decoder) ? config.decoder : {};
  for (const key of GENERATION_KEYS) {
    const v = config[key] ?? decoder[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

/** Names of the tensors a save writes: every weight the architecture has that the model holds. */
export function savedTensorNames(parts: Composition, weights: TensorSource): string[] {
  const names = modelWeightSpecs(parts)
    .map((s) => s.name)
    .filter((n) => weights.has(n));
  // An explicit head that differs from the embedding is kept (`PreTrainedModel.tie_weights` in transformers' `modeling_utils.py`).
  for (const head of Object.keys(parts.decoder.tiedWeights?.(parts.decoderConfig) ?? {})) {
    const full = `decoder.${head}`;
    if (weights.has(full) && !names.includes(full)) names.push(full);
  }
  return names;
}

export function serializePretrained(
  parts: Composition,
  weights: TensorSource,
  generationConfig: RawConfig | undefined,
  options: SaveOptions = {},
): SavedFile[] {
  const encoder = new TextEncoder();
  const config: RawConfig = { ...parts.config.raw, architectures: ['VisionEncoderDecoderModel'] };
  const generation = generationConfig ?? generationConfigFromModelConfig(config);
  const files: SavedFile[] = [
    { name: 'config.json', bytes: encoder.encode(configJson(config)) },
    { name: 'generation_config.json', bytes: encoder.encode(generationConfigJson(generation)) },
  ];
  const tensors = savedTensorNames(parts, weights).map((name) => ({
    name,
    dtype: 'F32' as const,
    shape: weights.info(name).shape,
    data: weights.getFloat32(name),
  }));
  // Buffers the Python model saves (num_parameters() leaves them out of total_parameters; total_size counts them).
  const buffers = (parts.encoder.persistentBuffers?.(parts.encoderConfig) ?? []).map((b) => ({ ...b, name: `encoder.${b.name}` }));
  const plan = planShards([...tensors, ...buffers], options.maxShardSize);
  const byName = new Map<string, TensorToSave>([...tensors, ...buffers].map((t) => [t.name, t]));
  for (const shard of plan.shards) {
    files.push(partsFile(shard.fileName, safetensorsParts(shard.tensorNames.map((n) => byName.get(n)!), { format: 'pt' })));
  }
  if (plan.isSharded) {
    const totalParameters = tensors.reduce((sum, t) => sum + t.data.length, 0);
    files.push({ name: 'model.safetensors.index.json', bytes: encoder.encode(serializeShardIndex(plan, { totalParameters })) });
  }
  return files;
}
