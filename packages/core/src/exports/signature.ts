/**
 * What an exported encoder or decoder takes and returns, read from the
 * session's own input and output metadata, never from a table of model types:
 * every `past_key_values.*` input is a cache slot fed by the `present.*` output
 * of the same name (decoder-only `past_key_values.{i}.key`, seq2seq
 * `past_key_values.{i}.decoder.key` / `.encoder.key`, or anything else that
 * follows the pattern), so BERT and RoBERTa decoders work as GPT-2's do. The
 * cache's element type (float32 or float16) is the input's own.
 */
import { VedError } from '../errors.js';
import type { InferenceSession } from '../runtime.js';

export type FloatType = 'float32' | 'float16';
export type Dims = ReadonlyArray<number | string>;

interface ValueInfo {
  name: string;
  type?: string;
  dims: Dims;
}

export const PAST_PREFIX = 'past_key_values';
export const PRESENT_PREFIX = 'present';

/** `past_key_values.0.decoder.key` → `present.0.decoder.key`. */
export const presentNameOf = (past: string) => PRESENT_PREFIX + past.slice(PAST_PREFIX.length);
/** `present.0.key` → `past_key_values.0.key`. */
export const pastNameOf = (present: string) => PAST_PREFIX + present.slice(PRESENT_PREFIX.length);

const isCacheName = (name: string, prefix: string) => name.startsWith(`${prefix}.`);

export interface CacheSlot {
  /** The past input, e.g. `past_key_values.0.encoder.key`. */
  name: string;
  /** Cross-attention keys/values (`.encoder.`): computed on the first step, then fed back unchanged. */
  cross: boolean;
  type: FloatType;
  dims: Dims;
}

export interface EncoderSignature {
  pixelType: FloatType;
  pixelDims: Dims;
  pixelMask: boolean;
  outputType: FloatType;
}

export interface DecoderSignature {
  where: string;
  inputs: ReadonlySet<string>;
  /** Element type of `encoder_hidden_states`, when the graph takes it. */
  encoderHiddenStates?: FloatType;
  encoderAttentionMask: boolean;
  attentionMask: boolean;
  positionIds: boolean;
  tokenTypeIds: boolean;
  cachePosition: boolean;
  useCacheBranch: boolean;
  /** `num_logits_to_keep` or `logits_to_keep`, when declared. */
  logitsToKeep?: string;
  /** The cache inputs this graph takes. */
  cache: CacheSlot[];
  /** Past name → the output that holds its next value (`present.*`). */
  presents: ReadonlyMap<string, string>;
  logitsType: FloatType;
  vocabSize?: number;
}

const DECODER_INPUTS = [
  'input_ids',
  'encoder_hidden_states',
  'encoder_attention_mask',
  'attention_mask',
  'position_ids',
  'token_type_ids',
  'cache_position',
  'use_cache_branch',
  'num_logits_to_keep',
  'logits_to_keep',
];
const ENCODER_INPUTS = ['pixel_values', 'pixel_mask'];

function metadata(list: readonly InferenceSession.ValueMetadata[] | undefined, names: readonly string[]): ValueInfo[] {
  const byName = new Map((list ?? []).map((m) => [m.name, m]));
  return names.map((name) => {
    const m = byName.get(name);
    return m !== undefined && m.isTensor ? { name, type: m.type, dims: m.shape } : { name, dims: [] };
  });
}

function floatType(v: ValueInfo, where: string): FloatType {
  if (v.type === undefined || v.type === 'float32') return 'float32';
  if (v.type === 'float16') return 'float16';
  throw new VedError('INVALID_INPUT', `${where}: "${v.name}" has element type ${v.type}; ved expects float32 or float16 there.`);
}

function list(names: Iterable<string>): string {
  return [...names].map((n) => JSON.stringify(n)).join(', ');
}

export function describeEncoder(session: InferenceSession, where: string): EncoderSignature {
  const unexpected = session.inputNames.filter((n) => !ENCODER_INPUTS.includes(n));
  if (unexpected.length > 0 || !session.inputNames.includes('pixel_values')) {
    throw new VedError(
      'INVALID_INPUT',
      `${where} is not an image encoder of the Optimum/transformers.js layout: its inputs are [${list(session.inputNames)}]` +
        `${unexpected.length > 0 ? ` (unexpected: ${list(unexpected)})` : ''}; expected "pixel_values" and optionally "pixel_mask".`,
    );
  }
  if (!session.outputNames.includes('last_hidden_state')) {
    throw new VedError('INVALID_INPUT', `${where} has outputs [${list(session.outputNames)}]; expected "last_hidden_state".`);
  }
  const [pixels] = metadata(session.inputMetadata, ['pixel_values']);
  const [hidden] = metadata(session.outputMetadata, ['last_hidden_state']);
  return {
    pixelType: floatType(pixels!, where),
    pixelDims: pixels!.dims,
    pixelMask: session.inputNames.includes('pixel_mask'),
    outputType: floatType(hidden!, where),
  };
}

/**
 * Reads a decoder graph's signature. Unknown inputs fail, listing what was
 * found and what ved can feed; a cache input without its `present.*` output
 * fails unless it is a cross-attention slot (Optimum's split with-past decoder
 * does not return the encoder keys/values it was given).
 */
export function describeDecoder(session: InferenceSession, where: string): DecoderSignature {
  const inputs = session.inputNames;
  const outputs = new Set(session.outputNames);
  const unexpected = inputs.filter((n) => !DECODER_INPUTS.includes(n) && !isCacheName(n, PAST_PREFIX));
  if (unexpected.length > 0 || !inputs.includes('input_ids')) {
    throw new VedError(
      'INVALID_INPUT',
      `${where} does not look like a decoder of the Optimum/transformers.js layout: its inputs are [${list(inputs)}]` +
        `${unexpected.length > 0 ? `, of which ${list(unexpected)} ${unexpected.length === 1 ? 'is' : 'are'} unknown` : ', with no "input_ids"'}. ` +
        `Expected "input_ids", cache inputs "past_key_values.*" (each with a matching "present.*" output), and optionally ${list(DECODER_INPUTS.slice(1))}.`,
    );
  }
  if (!outputs.has('logits')) {
    throw new VedError('INVALID_INPUT', `${where} has outputs [${list(session.outputNames)}]; expected "logits" and "present.*" caches.`);
  }
  const info = new Map(metadata(session.inputMetadata, inputs).map((v) => [v.name, v]));
  const cache: CacheSlot[] = [];
  for (const name of inputs.filter((n) => isCacheName(n, PAST_PREFIX))) {
    const v = info.get(name)!;
    const cross = name.includes('.encoder.');
    if (!cross && !outputs.has(presentNameOf(name))) {
      throw new VedError(
        'INVALID_INPUT',
        `${where}: cache input "${name}" has no matching output "${presentNameOf(name)}"; the cache outputs are [${list(
          session.outputNames.filter((n) => isCacheName(n, PRESENT_PREFIX)),
        )}].`,
      );
    }
    cache.push({ name, cross, type: floatType(v, where), dims: v.dims });
  }
  const presents = new Map<string, string>();
  for (const out of session.outputNames) if (isCacheName(out, PRESENT_PREFIX)) presents.set(pastNameOf(out), out);
  const [logits] = metadata(session.outputMetadata, ['logits']);
  const vocab = logits!.dims[logits!.dims.length - 1];
  const hidden = info.get('encoder_hidden_states');
  return {
    where,
    inputs: new Set(inputs),
    ...(hidden !== undefined ? { encoderHiddenStates: floatType(hidden, where) } : {}),
    encoderAttentionMask: inputs.includes('encoder_attention_mask'),
    attentionMask: inputs.includes('attention_mask'),
    positionIds: inputs.includes('position_ids'),
    tokenTypeIds: inputs.includes('token_type_ids'),
    cachePosition: inputs.includes('cache_position'),
    useCacheBranch: inputs.includes('use_cache_branch'),
    ...(inputs.includes('num_logits_to_keep') ? { logitsToKeep: 'num_logits_to_keep' } : inputs.includes('logits_to_keep') ? { logitsToKeep: 'logits_to_keep' } : {}),
    cache,
    presents,
    logitsType: floatType(logits!, where),
    ...(typeof vocab === 'number' ? { vocabSize: vocab } : {}),
  };
}

/**
 * Checks that a split decoder's two graphs fit: the first-step graph returns
 * (as `present.*`) every cache slot the with-past graph takes.
 */
export function checkSplitDecoders(first: DecoderSignature, withPast: DecoderSignature): void {
  const missing = withPast.cache.filter((slot) => !first.presents.has(slot.name)).map((slot) => presentNameOf(slot.name));
  if (withPast.cache.length === 0 || missing.length > 0) {
    throw new VedError(
      'INVALID_INPUT',
      withPast.cache.length === 0
        ? `${withPast.where} takes no "past_key_values.*" inputs, so it cannot continue from ${first.where}.`
        : `${first.where} does not return ${list(missing)}, which ${withPast.where} needs as cache inputs.`,
    );
  }
}
