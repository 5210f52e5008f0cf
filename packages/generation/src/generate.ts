/**
 * `generate()` for encoder-decoder models (spec §6.1): encode the images once,
 * build the decoder prompt, expand rows, run the strategy.
 */
import { VedError, type EncoderDecoderLM, type PixelBatch } from '@ved/core';
import { resolveGeneration, type GenerationOptions } from './generation-config.js';
import { greedySearch } from './greedy.js';

export interface GenerateInputs {
  pixelValues: PixelBatch;
  /** A decoder prompt per image; decoder_start is prepended unless every row already starts with it. */
  decoderInputIds?: number[][];
  /** The model's generation config (from `generation_config.json` / `config.json`). */
  modelGenerationConfig?: GenerationOptions;
  signal?: AbortSignal;
}

export interface GenerateOutput {
  /** [batch * numReturnSequences][length], padded as Python pads them. */
  sequences: number[][];
}

export async function generate(model: EncoderDecoderLM, inputs: GenerateInputs, options: GenerationOptions = {}): Promise<GenerateOutput> {
  const batch = inputs.pixelValues.dims[0];
  const prompt = buildPrompt(inputs.decoderInputIds, batch, options, inputs.modelGenerationConfig ?? {});
  const config = resolveGeneration(inputs.modelGenerationConfig ?? {}, options, prompt[0]!.length);
  if (config.numBeams > 1 || config.doSample) {
    throw new VedError('INVALID_OPTION', 'Only greedy search (numBeams 1, doSample false) is available in this version.');
  }
  const encoded = await model.encode(inputs.pixelValues);
  const session = model.startDecoding(encoded, prompt.map((_, i) => i));
  try {
    const sequences = await greedySearch({
      session,
      prompt,
      maxLength: config.maxLength,
      eosTokenIds: config.eosTokenIds,
      padTokenId: config.padTokenId,
      ...(inputs.signal ? { signal: inputs.signal } : {}),
    });
    return { sequences };
  } finally {
    session.dispose();
  }
}

/** The decoder prompt: `[[start]] * B`, or the given ids with start prepended unless every row starts with it. */
function buildPrompt(given: number[][] | undefined, batch: number, options: GenerationOptions, model: GenerationOptions): number[][] {
  const startOption = options.decoderStartTokenId ?? model.decoderStartTokenId ?? options.bosTokenId ?? model.bosTokenId;
  if (startOption === undefined) {
    throw new VedError(
      'INVALID_OPTION',
      '`decoder_start_token_id` or `bos_token_id` has to be defined for encoder-decoder generation (set it in generation_config.json or pass decoderStartTokenId).',
    );
  }
  const starts = Array.isArray(startOption) ? startOption : Array.from({ length: batch }, () => startOption);
  if (starts.length !== batch) {
    throw new VedError('INVALID_OPTION', `"decoderStartTokenId" has ${starts.length} entries, expected one per image (${batch}).`);
  }
  if (given === undefined) return starts.map((s) => [s]);
  if (given.length !== batch || given.some((row) => row.length !== given[0]!.length)) {
    throw new VedError('INVALID_OPTION', `"decoderInputIds" must hold ${batch} rows of equal length.`);
  }
  const allStart = given.every((row, r) => row[0] === starts[r]);
  return allStart ? given.map((row) => [...row]) : given.map((row, r) => [starts[r]!, ...row]);
}
