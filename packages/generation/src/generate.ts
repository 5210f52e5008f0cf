/**
 * `generate()` for encoder-decoder models (transformers 5.18
 * `generation/utils.py`, `GenerationMixin.generate`): merge and check the options, encode
 * the images once, build the decoder prompt, expand rows for beams / return
 * sequences, run the strategy, dispose the decoding session.
 */
import { VedError, promptBehaviour, type EncoderDecoderLM, type PixelBatch } from '@ved/core';
import { beamSample } from './beam-sample.js';
import { beamSearch } from './beam-search.js';
import { buildLogitsProcessors, buildStoppingCriteria } from './build-processors.js';
import type { DecodeInputs, DecodeResult } from './decode-types.js';
import type { GenerationOptions } from './generation-config.js';
import { greedySearch } from './greedy.js';
import type { LogitsProcessor } from './logits-processor.js';
import type { PrefixAllowedTokensFn } from './processors/prefix-constrained.js';
import { SeededRandom } from '@ved/core';
import { mergeGeneration, prepareLengths, type Warn } from './resolve-config.js';
import { multinomialSample } from './sample.js';
import type { Scores } from './scores.js';
import type { TokenDecoder } from './stopping/stop-strings.js';
import type { StoppingCriteria } from './stopping/stopping-criteria.js';
import type { Streamer } from './streaming.js';
import { CheckedDecodingSession, checkPromptIds } from './token-checks.js';

export interface GenerateInputs {
  pixelValues: PixelBatch;
  /**
   * A decoder prompt per image (e.g. a task prompt), all the same length. The start token is
   * prepended when no row starts with it (Python's `.all()` test), unless the architecture's
   * `prompt` rule says never (Donut's task prompts; see `promptBehaviour` of @ved/core).
   */
  decoderInputIds?: readonly (readonly number[])[];
  /** The model's generation config (see `modelGenerationConfig`). */
  modelGenerationConfig?: GenerationOptions;
  /** Cancels generation; the decoding session is disposed and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Extra logits processors; one of a built-in class replaces the built-in one at its position. */
  logitsProcessor?: readonly LogitsProcessor[];
  /** Extra stopping criteria; one of a built-in class replaces the built-in one. */
  stoppingCriteria?: readonly StoppingCriteria[];
  /** Python's `prefix_allowed_tokens_fn`: the ids allowed next for image `batchId`. */
  prefixAllowedTokensFn?: PrefixAllowedTokensFn;
  /** Needed by `stopStrings`. */
  tokenizer?: TokenDecoder;
  /** Receives the prompt, then each step's tokens (greedy search and sampling only). */
  streamer?: Streamer;
  /** Where Python's warnings go (default: `console.warn`, once per message). */
  onWarning?: (message: string) => void;
  /** Accept images whose size differs from the encoder's config (Python's `interpolate_pos_encoding`, an encoder kwarg). */
  interpolatePosEncoding?: boolean;
}

export interface GenerateOutput {
  /** [batch × numReturnSequences][length], start token first, padded as Python pads them. */
  sequences: number[][];
  /** With `returnDictInGenerate` and `outputScores`: processed scores of every step, [rows, vocab] (rows = batch × beams for beam search). */
  scores?: Scores[];
  /** With `returnDictInGenerate` and `outputLogits`: raw logits of every step. */
  logits?: Scores[];
  /** Beam search with `returnDictInGenerate` and `outputScores`: the length-penalised score of each sequence. */
  sequencesScores?: number[];
  /** Beam search with `returnDictInGenerate`: per sequence and generated token, the beam row it came from (-1 pads). */
  beamIndices?: number[][];
}

const warned = new Set<string>();
function defaultWarn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`ved: ${message}`);
}

export async function generate(model: EncoderDecoderLM, inputs: GenerateInputs, options: GenerationOptions = {}): Promise<GenerateOutput> {
  const warn: Warn = inputs.onWarning ?? defaultWarn;
  const batch = inputs.pixelValues.dims[0];
  const merged = mergeGeneration(inputs.modelGenerationConfig ?? {}, options, warn);
  const o = merged.options;
  const beams = merged.mode === 'beam_search' || merged.mode === 'beam_sample';
  if (beams && inputs.streamer !== undefined) {
    throw new VedError('INVALID_OPTION', '`streamer` cannot be used with beam search (yet!). Make sure that `num_beams` is set to 1.');
  }
  const prompt = buildPrompt(inputs.decoderInputIds, batch, merged.decoderStartTokenId, model.encoderModelType, model.decoderModelType);
  const lengths = prepareLengths(merged, prompt[0]!.length, warn);
  checkPromptIds(merged, prompt, inputs.decoderInputIds !== undefined, model, warn);
  const processors = buildLogitsProcessors(merged, lengths, inputs.logitsProcessor, inputs.prefixAllowedTokensFn);
  const criteria = buildStoppingCriteria(merged, lengths, inputs.stoppingCriteria, inputs.tokenizer);

  const numBeams = o.numBeams ?? 1;
  const numReturnSequences = o.numReturnSequences ?? 1;
  const expand = Math.max(numBeams, numReturnSequences);
  const rows = prompt.flatMap((row) => Array.from({ length: expand }, () => [...row]));
  const rowToImage = rows.map((_, r) => Math.floor(r / expand));
  const dict = o.returnDictInGenerate === true;
  const random = o.doSample === true ? new SeededRandom(o.seed ?? SeededRandom.randomSeed()) : undefined;

  inputs.signal?.throwIfAborted();
  const encoded = await model.encode(inputs.pixelValues, inputs.interpolatePosEncoding ? { interpolatePosEncoding: true } : {});
  inputs.signal?.throwIfAborted();
  const session = new CheckedDecodingSession(model.startDecoding(encoded, rowToImage), model, merged, lengths);
  try {
    const common: DecodeInputs = {
      session,
      prompt: rows,
      processors,
      criteria,
      padTokenId: merged.padTokenId,
      eosTokenIds: merged.eosTokenIds,
      maxLength: lengths.maxLength,
      outputScores: dict && o.outputScores === true,
      outputLogits: dict && o.outputLogits === true,
      ...(inputs.signal ? { signal: inputs.signal } : {}),
      ...(inputs.streamer ? { streamer: inputs.streamer } : {}),
    };
    let result: DecodeResult;
    if (merged.mode === 'greedy') result = await greedySearch(common);
    else if (merged.mode === 'sample') result = await multinomialSample({ ...common, random: random! });
    else {
      const beamInputs = {
        ...common,
        batchSize: batch,
        numBeams,
        lengthPenalty: o.lengthPenalty ?? 1,
        earlyStopping: o.earlyStopping,
        numReturnSequences,
      };
      result = merged.mode === 'beam_search' ? await beamSearch(beamInputs) : await beamSample({ ...beamInputs, random: random! });
    }
    if (!dict) return { sequences: result.sequences };
    return {
      sequences: result.sequences,
      ...(result.scores ? { scores: result.scores } : {}),
      ...(result.logits ? { logits: result.logits } : {}),
      ...(result.sequencesScores ? { sequencesScores: result.sequencesScores } : {}),
      ...(beams && result.beamIndices ? { beamIndices: result.beamIndices } : {}),
    };
  } finally {
    session.dispose();
  }
}

/**
 * The decoder prompt (Python's `_prepare_decoder_input_ids_for_generation`):
 * `[[start]] * B`, or the given rows with the start token prepended when no
 * row starts with it, unless the pair's `prompt` rule (`promptBehaviour`: the
 * decoder's or encoder's plugin declaration, else Python's rule on the encoder's
 * `model_type`) says never, as for Donut, whose prompts are task tokens.
 */
export function buildPrompt(
  given: readonly (readonly number[])[] | undefined,
  batch: number,
  start: number | readonly number[],
  encoderModelType: string,
  decoderModelType?: string,
): number[][] {
  if (Array.isArray(start) && start.length !== batch) {
    throw new VedError('INVALID_OPTION', `\`decoder_start_token_id\` expected to have length ${batch} but got ${start.length}`);
  }
  const starts = Array.isArray(start) ? [...(start as readonly number[])] : new Array<number>(batch).fill(start as number);
  if (given === undefined) return starts.map((s) => [s]);
  const width = given[0]?.length ?? 0;
  if (given.length !== batch || width === 0 || given.some((r) => r.length !== width || r.some((t) => !Number.isInteger(t) || t < 0))) {
    throw new VedError(
      'INVALID_OPTION',
      `"decoderInputIds" must hold ${batch} non-empty rows of token ids of equal length (one per image), got ${JSON.stringify(given.map((r) => r.length))} row lengths.`,
    );
  }
  if (promptBehaviour(encoderModelType, decoderModelType).prependStartToken === 'never') return given.map((r) => [...r]);
  const noRowStarts = given.every((r, i) => r[0] !== starts[i]);
  return noRowStarts ? given.map((r, i) => [starts[i]!, ...r]) : given.map((r) => [...r]);
}
